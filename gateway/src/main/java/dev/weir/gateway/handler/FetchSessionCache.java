package dev.weir.gateway.handler;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;

/**
 * Incremental fetch sessions (KIP-227): per session the partitions a client fetches and what it
 * was last told about each, so steady consumers send and receive only what changed. Bounded;
 * the least recently used session is evicted.
 */
final class FetchSessionCache {

    /** What the session remembers of one partition. */
    static final class CachedPartition {
        long fetchOffset;
        int maxBytes;
        long lastHighWatermark = -1;
        long lastLogStartOffset = -1;

        CachedPartition(FetchRequest.PartitionData data) {
            update(data);
        }

        void update(FetchRequest.PartitionData data) {
            fetchOffset = data.fetchOffset;
            maxBytes = data.maxBytes;
        }
    }

    static final class Session {
        final int id;
        /**
         * Whether the full fetch that opened it named topics by id (v13+): its partitions are keyed
         * that way, so a later request of the other kind could not name them.
         */
        final boolean usesTopicIds;
        int nextEpoch = 1;
        final LinkedHashMap<TopicIdPartition, CachedPartition> partitions = new LinkedHashMap<>();

        Session(int id, boolean usesTopicIds) {
            this.id = id;
            this.usesTopicIds = usesTopicIds;
        }
    }

    private final int maxSessions;
    private final LinkedHashMap<Integer, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);

    FetchSessionCache(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    /** A new session holding these partitions, or null when sessions are disabled. */
    synchronized Session create(Map<TopicIdPartition, FetchRequest.PartitionData> partitions, boolean usesTopicIds) {
        if (maxSessions == 0) {
            return null;
        }
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        } while (sessions.containsKey(id));
        Session s = new Session(id, usesTopicIds);
        partitions.forEach((tp, data) -> s.partitions.put(tp, new CachedPartition(data)));
        sessions.put(id, s);
        while (sessions.size() > maxSessions) {
            Integer eldest = sessions.keySet().iterator().next();
            sessions.remove(eldest);
        }
        return s;
    }

    synchronized Session get(int id) {
        return sessions.get(id);
    }

    synchronized void remove(int id) {
        sessions.remove(id);
    }

    static int nextEpoch(int epoch) {
        return FetchMetadata.nextEpoch(epoch);
    }
}
