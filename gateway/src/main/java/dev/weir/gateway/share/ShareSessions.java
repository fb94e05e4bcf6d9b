package dev.weir.gateway.share;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ShareRequestMetadata;

/**
 * The share-session cache (KIP-932): one session per group member, holding the partitions it
 * fetches and the epoch its next request must carry, at most {@code group.share.max.share.sessions}
 * of them. A session belongs to the connection that opened it: when that connection closes, the
 * session ends and what the member had acquired is released, as in Kafka.
 */
final class ShareSessions {
    record SessionKey(String groupId, String memberId) {
    }

    static final class Session {
        final SessionKey key;
        final String connectionId;
        final Set<TopicIdPartition> partitions = new LinkedHashSet<>();
        int epoch;

        Session(SessionKey key, String connectionId) {
            this.key = key;
            this.connectionId = connectionId;
        }
    }

    /** A refusal, with Kafka's error. */
    static final class SessionError extends Exception {
        final Errors error;

        SessionError(Errors error) {
            super(error.message(), null, false, false);
            this.error = error;
        }
    }

    private final int maxSessions;
    private final Map<SessionKey, Session> sessions = new HashMap<>();

    ShareSessions(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    /**
     * Opens a session (epoch 0) with the partitions of the request. As Kafka, a previous session of the
     * member is dropped without releasing its records: their locks run out.
     */
    synchronized Session open(SessionKey key, String connectionId, List<TopicIdPartition> partitions)
            throws SessionError {
        sessions.remove(key);
        if (sessions.size() >= maxSessions) {
            throw new SessionError(Errors.SHARE_SESSION_LIMIT_REACHED);
        }
        Session s = new Session(key, connectionId);
        s.partitions.addAll(partitions);
        s.epoch = ShareRequestMetadata.nextEpoch(ShareRequestMetadata.INITIAL_EPOCH);
        sessions.put(key, s);
        return s;
    }

    /** Goes on with a session: the epoch must be the expected one; partitions are added and forgotten. */
    synchronized Session next(SessionKey key, int epoch, List<TopicIdPartition> added, List<TopicIdPartition> forgotten)
            throws SessionError {
        Session s = sessions.get(key);
        if (s == null) {
            throw new SessionError(Errors.SHARE_SESSION_NOT_FOUND);
        }
        if (s.epoch != epoch) {
            throw new SessionError(Errors.INVALID_SHARE_SESSION_EPOCH);
        }
        s.partitions.addAll(added);
        forgotten.forEach(s.partitions::remove);
        s.epoch = ShareRequestMetadata.nextEpoch(s.epoch);
        return s;
    }

    /** The session, checked for the final epoch (-1), which ends it; null when there is none. */
    synchronized Session get(SessionKey key) {
        return sessions.get(key);
    }

    synchronized void remove(Session s) {
        sessions.remove(s.key, s);
    }

    /** Ends the sessions opened on a connection that closed; they are returned for their records to be released. */
    synchronized List<Session> connectionClosed(String connectionId) {
        List<Session> ended = sessions.values().stream().filter(s -> s.connectionId.equals(connectionId)).toList();
        ended.forEach(s -> sessions.remove(s.key));
        return ended;
    }

    /** Ends the sessions of a member that left its group. */
    synchronized Session memberLeft(String groupId, String memberId) {
        return sessions.remove(new SessionKey(groupId, memberId));
    }

    synchronized int size() {
        return sessions.size();
    }
}
