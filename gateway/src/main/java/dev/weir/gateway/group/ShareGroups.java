package dev.weir.gateway.group;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.share.ShareSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Share groups (KIP-932): members heartbeat with their subscription, the coordinator assigns
 * partitions with Kafka's simple assignor (a partition may go to several members when they
 * outnumber the partitions), and a member takes its new assignment at once: there is no
 * revocation step, since the records, not the partitions, are what members hold.
 *
 * <p>Serialized on the classic coordinator's monitor (one group id space for the three group types);
 * every change is saved as a snapshot record of the group before the heartbeat is answered, and a
 * partition's share state is initialized (its start offset fixed by {@code share.auto.offset.reset})
 * before a member is told of it.
 */
public final class ShareGroups {
    private static final Logger log = LoggerFactory.getLogger(ShareGroups.class);
    static final int LEAVE_EPOCH = -1;

    record Heartbeat(String groupId, String memberId, int memberEpoch, String rackId, List<String> subscribedTopicNames,
                     String clientId, String clientHost) {
    }

    record HeartbeatResult(Errors error, String message, String memberId, int memberEpoch, int heartbeatIntervalMs,
                           Map<Uuid, Set<Integer>> assignment) {
        static HeartbeatResult error(Errors error, String message) {
            return new HeartbeatResult(error, message, null, 0, 0, null);
        }
    }

    record MemberDescription(String memberId, String rackId, int memberEpoch, String clientId, String clientHost,
                             List<String> subscribedTopicNames, Map<Uuid, Set<Integer>> assignment) {
    }

    record GroupDescription(String groupId, String state, int groupEpoch, int assignmentEpoch,
                            List<MemberDescription> members) {
    }

    static final class Member {
        String memberId;
        String rackId;
        String clientId = "";
        String clientHost = "";
        int memberEpoch;
        int previousMemberEpoch;
        List<String> subscribedTopicNames = List.of();
        Map<Uuid, Set<Integer>> assigned = new TreeMap<>();
        Runnable cancelSession = () -> { };
        long timerEpoch;
    }

    static final class Group {
        final String groupId;
        int groupEpoch;
        int assignmentEpoch;
        final Map<String, Member> members = new LinkedHashMap<>();
        final Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>();
        Map<Uuid, Integer> subscribedTopics = Map.of();
        CompletableFuture<Void> lastSave = CompletableFuture.completedFuture(null);

        Group(String groupId) {
            this.groupId = groupId;
        }

        String state() {
            return members.isEmpty() ? "Empty" : "Stable";
        }
    }

    /** Fixes the start of a group's share-partitions that have no state yet; completes once durable. */
    public interface Initializer {
        CompletableFuture<Void> initialize(String groupId, Map<Uuid, Set<Integer>> partitions);
    }

    private final GroupCoordinator classic;
    private final ConsumerGroups consumerGroups;
    private final Object lock;
    private final GroupTimer timer;
    private final TopicCatalog catalog;
    private final ShareSettings.Source settings;
    private final int maxSize;
    private final GroupMetadataLog metadata;
    private final Map<String, Group> groups = new HashMap<>();
    private Initializer initializer = (g, p) -> CompletableFuture.completedFuture(null);
    private BiConsumer<String, String> memberLeft = (g, m) -> { };

    private ShareGroups(GroupCoordinator classic, ConsumerGroups consumerGroups, GroupTimer timer, TopicCatalog catalog,
                        ShareSettings.Source settings, int maxSize, GroupMetadataLog metadata) {
        this.classic = classic;
        this.consumerGroups = consumerGroups;
        this.lock = classic;
        this.timer = timer;
        this.catalog = catalog;
        this.settings = settings;
        this.maxSize = maxSize;
        this.metadata = metadata;
        classic.shareGroups(this::exists);
        consumerGroups.shareGroups(this::exists);
    }

    /** Share groups beside the other two protocols, with the groups saved in the metadata log put back. */
    public static ShareGroups open(GroupCoordinator classic, ConsumerGroups consumerGroups,
                                   ScheduledExecutorService timers, TopicCatalog catalog, ShareSettings.Source settings,
                                   int maxSize, GroupMetadataLog metadata) {
        ShareGroups groups = new ShareGroups(classic, consumerGroups, GroupTimer.of(timers), catalog, settings, maxSize,
                metadata);
        metadata.loaded().forEach((groupId, stored) -> {
            if (stored.type() == GroupMetadataLog.SHARE) {
                groups.restore(decode(groupId, stored.state()));
            }
        });
        return groups;
    }

    /** Where share-partitions are initialized, and who hears that a member left (its share session ends). */
    public void wire(Initializer initializer, BiConsumer<String, String> memberLeft) {
        this.initializer = initializer;
        this.memberLeft = memberLeft;
    }

    // ---------------------------------------------------------------- heartbeat

    CompletableFuture<HeartbeatResult> heartbeat(Heartbeat h) {
        synchronized (lock) {
            if (h.memberId() == null || h.memberId().isEmpty()) {
                return done(HeartbeatResult.error(Errors.INVALID_REQUEST, "MemberId can't be empty."));
            }
            if (h.groupId() == null || h.groupId().isEmpty()) {
                return done(HeartbeatResult.error(Errors.INVALID_REQUEST, "GroupId can't be empty."));
            }
            if (h.rackId() != null && h.rackId().isEmpty()) {
                return done(HeartbeatResult.error(Errors.INVALID_REQUEST, "RackId can't be empty."));
            }
            if (h.memberEpoch() == 0) {
                if (h.subscribedTopicNames() == null || h.subscribedTopicNames().isEmpty()) {
                    return done(HeartbeatResult.error(Errors.INVALID_REQUEST,
                            "SubscribedTopicNames must be set in first request."));
                }
            } else if (h.memberEpoch() < LEAVE_EPOCH) {
                return done(HeartbeatResult.error(Errors.INVALID_REQUEST, "MemberEpoch is invalid."));
            }
            if (classic.exists(h.groupId()) && classic.inUse(h.groupId()) || consumerGroups.exists(h.groupId())) {
                return done(HeartbeatResult.error(Errors.GROUP_ID_NOT_FOUND,
                        "Group " + h.groupId() + " is not a share group."));
            }
            Group group = groups.get(h.groupId());
            if (h.memberEpoch() == LEAVE_EPOCH) {
                return leave(group, h);
            }
            if (group == null) {
                if (h.memberEpoch() != 0) {
                    return done(HeartbeatResult.error(Errors.GROUP_ID_NOT_FOUND,
                            "Share group " + h.groupId() + " not found."));
                }
                classic.release(h.groupId());
                group = new Group(h.groupId());
                groups.put(h.groupId(), group);
            }
            Member member = group.members.get(h.memberId());
            boolean changed = false;
            if (member == null) {
                if (h.memberEpoch() != 0) {
                    return done(HeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "Member " + h.memberId()
                            + " is not a member of group " + h.groupId() + "."));
                }
                if (group.members.size() >= maxSize) {
                    return done(HeartbeatResult.error(Errors.GROUP_MAX_SIZE_REACHED, "The share group has reached its maximum capacity of " + maxSize + " members."));
                }
                member = new Member();
                member.memberId = h.memberId();
                group.members.put(member.memberId, member);
                changed = true;
                log.info("Member {} joined share group {}", member.memberId, group.groupId);
            } else if (h.memberEpoch() != 0 && h.memberEpoch() != member.memberEpoch) {
                if (h.memberEpoch() > member.memberEpoch || h.memberEpoch() != member.previousMemberEpoch) {
                    return done(HeartbeatResult.error(Errors.FENCED_MEMBER_EPOCH, "The share group member has a "
                            + (h.memberEpoch() > member.memberEpoch ? "greater" : "smaller") + " member epoch ("
                            + h.memberEpoch() + ") than the one known by the group coordinator (" + member.memberEpoch
                            + "). The member must abandon all its partitions and rejoin."));
                }
            }
            Map<Uuid, Set<Integer>> before = h.memberEpoch() == 0 ? null : copy(member.assigned);
            if (h.rackId() != null) {
                member.rackId = h.rackId();
            }
            member.clientId = h.clientId();
            member.clientHost = h.clientHost();
            if (h.subscribedTopicNames() != null && !h.subscribedTopicNames().equals(member.subscribedTopicNames)) {
                member.subscribedTopicNames = List.copyOf(h.subscribedTopicNames());
                changed = true;
            }
            scheduleSession(group, member);
            Map<Uuid, Integer> subscribed = subscribedTopics(group);
            if (!subscribed.equals(group.subscribedTopics)) {
                group.subscribedTopics = subscribed;
                changed = true;
            }
            if (changed) {
                group.groupEpoch++;
                computeTarget(group);
                log.info("Share group {} at epoch {}: {} members", group.groupId, group.groupEpoch, group.members.size());
            }
            boolean moved = false;
            if (member.memberEpoch != group.assignmentEpoch) {
                member.previousMemberEpoch = member.memberEpoch;
                member.memberEpoch = group.assignmentEpoch;
                member.assigned = copy(group.target.getOrDefault(member.memberId, Map.of()));
                moved = true;
            }
            boolean full = h.memberEpoch() == 0 || h.subscribedTopicNames() != null;
            Map<Uuid, Set<Integer>> assignment = full || !member.assigned.equals(before) ? copy(member.assigned) : null;
            HeartbeatResult result = new HeartbeatResult(Errors.NONE, null, member.memberId, member.memberEpoch,
                    settings.of(group.groupId).heartbeatIntervalMs(), assignment);
            CompletableFuture<Void> initialized = initializer.initialize(group.groupId, copy(member.assigned));
            CompletableFuture<Void> saved = changed || moved ? persist(group) : saved(group);
            return saved.thenCombine(initialized, (a, b) -> result);
        }
    }

    private CompletableFuture<HeartbeatResult> leave(Group group, Heartbeat h) {
        Member member = group == null ? null : group.members.get(h.memberId());
        if (member == null) {
            return done(HeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "Member " + h.memberId()
                    + " is not a member of group " + h.groupId() + "."));
        }
        log.info("Member {} left share group {}", member.memberId, group.groupId);
        removeMember(group, member);
        HeartbeatResult result = new HeartbeatResult(Errors.NONE, null, member.memberId, LEAVE_EPOCH,
                settings.of(group.groupId).heartbeatIntervalMs(), null);
        return persist(group).thenApply(v -> result);
    }

    private void removeMember(Group group, Member member) {
        member.cancelSession.run();
        group.members.remove(member.memberId);
        group.target.remove(member.memberId);
        group.groupEpoch++;
        computeTarget(group);
        memberLeft.accept(group.groupId, member.memberId);
    }

    private void scheduleSession(Group group, Member m) {
        m.cancelSession.run();
        long epoch = ++m.timerEpoch;
        String groupId = group.groupId;
        String memberId = m.memberId;
        int timeout = settings.of(groupId).sessionTimeoutMs();
        m.cancelSession = timer.schedule(timeout, () -> expire(groupId, memberId, epoch,
                "no heartbeat within " + timeout + " ms"));
    }

    private void expire(String groupId, String memberId, long timerEpoch, String why) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            Member m = g == null ? null : g.members.get(memberId);
            if (m == null || m.timerEpoch != timerEpoch) {
                return;
            }
            log.info("Member {} of share group {} expired: {}", memberId, groupId, why);
            removeMember(g, m);
            persist(g);
        }
    }

    /** Every subscribed topic that exists, with its partition count (a change re-assigns). */
    private Map<Uuid, Integer> subscribedTopics(Group group) {
        Map<Uuid, Integer> out = new TreeMap<>();
        for (Member m : group.members.values()) {
            for (String name : m.subscribedTopicNames) {
                catalog.byName(name).ifPresent(t -> out.put(t.id(), t.partitions()));
            }
        }
        return out;
    }

    /**
     * Kafka's simple assignor: each subscribed partition goes to one of its topic's subscribers, in
     * turn; when a topic has more subscribers than partitions, its partitions are shared round the
     * members so that every member gets one.
     */
    private void computeTarget(Group group) {
        group.target.clear();
        for (Member m : group.members.values()) {
            group.target.put(m.memberId, new TreeMap<>());
        }
        for (Map.Entry<Uuid, Integer> topic : group.subscribedTopics.entrySet()) {
            Optional<TopicMeta> meta = catalog.byId(topic.getKey());
            if (meta.isEmpty()) {
                continue;
            }
            List<String> subscribers = new ArrayList<>();
            for (Member m : group.members.values()) {
                if (m.subscribedTopicNames.contains(meta.get().name())) {
                    subscribers.add(m.memberId);
                }
            }
            subscribers.sort(null);
            int partitions = topic.getValue();
            if (subscribers.isEmpty() || partitions == 0) {
                continue;
            }
            int n = Math.max(partitions, subscribers.size());
            for (int i = 0; i < n; i++) {
                String member = subscribers.get(i % subscribers.size());
                group.target.get(member).computeIfAbsent(topic.getKey(), t -> new TreeSet<>()).add(i % partitions);
            }
        }
        group.assignmentEpoch = group.groupEpoch;
    }

    // ---------------------------------------------------------------- admin

    boolean exists(String groupId) {
        synchronized (lock) {
            return groups.containsKey(groupId);
        }
    }

    /** Whether the group has no members (an admin may then move or delete its offsets). */
    Optional<Boolean> isEmpty(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            return g == null ? Optional.empty() : Optional.of(g.members.isEmpty());
        }
    }

    /** Makes a group known without members (an admin setting its offsets before anyone joined). */
    CompletableFuture<Void> ensure(String groupId) {
        synchronized (lock) {
            if (groups.containsKey(groupId)) {
                return CompletableFuture.completedFuture(null);
            }
            Group g = new Group(groupId);
            groups.put(groupId, g);
            return persist(g);
        }
    }

    /** The topics the group's members subscribe to, by name. */
    Set<String> subscribedTopicNames(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            Set<String> out = new TreeSet<>();
            if (g != null) {
                g.members.values().forEach(m -> out.addAll(m.subscribedTopicNames));
            }
            return out;
        }
    }

    Map<String, String> list() {
        synchronized (lock) {
            Map<String, String> out = new TreeMap<>();
            groups.values().forEach(g -> out.put(g.groupId, g.state()));
            return out;
        }
    }

    Optional<GroupDescription> describe(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            if (g == null) {
                return Optional.empty();
            }
            List<MemberDescription> members = new ArrayList<>();
            g.members.values().forEach(m -> members.add(new MemberDescription(m.memberId, m.rackId, m.memberEpoch,
                    m.clientId, m.clientHost, m.subscribedTopicNames, copy(m.assigned))));
            return Optional.of(new GroupDescription(g.groupId, g.state(), g.groupEpoch, g.assignmentEpoch, members));
        }
    }

    CompletableFuture<Errors> delete(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            if (g == null) {
                return done(Errors.GROUP_ID_NOT_FOUND);
            }
            if (!g.members.isEmpty()) {
                return done(Errors.NON_EMPTY_GROUP);
            }
            groups.remove(groupId);
            return metadata.delete(groupId).thenApply(v -> Errors.NONE);
        }
    }

    // ---------------------------------------------------------------- persistence

    private CompletableFuture<Void> saved(Group g) {
        return g.lastSave.isCompletedExceptionally() ? persist(g) : g.lastSave;
    }

    private CompletableFuture<Void> persist(Group g) {
        CompletableFuture<Void> saved = metadata.save(g.groupId, GroupMetadataLog.SHARE, encode(g));
        g.lastSave = saved;
        return saved;
    }

    private void restore(Group g) {
        groups.put(g.groupId, g);
        // Members get a fresh session to heartbeat in.
        g.members.values().forEach(m -> scheduleSession(g, m));
    }

    static byte[] encode(Group g) {
        return GroupMetadataLog.encode(out -> {
            out.writeInt(g.groupEpoch);
            out.writeInt(g.assignmentEpoch);
            GroupMetadataLog.writeTopicCounts(out, g.subscribedTopics);
            out.writeInt(g.members.size());
            for (Member m : g.members.values()) {
                GroupMetadataLog.writeString(out, m.memberId);
                GroupMetadataLog.writeString(out, m.rackId);
                GroupMetadataLog.writeString(out, m.clientId);
                GroupMetadataLog.writeString(out, m.clientHost);
                out.writeInt(m.memberEpoch);
                out.writeInt(m.previousMemberEpoch);
                out.writeInt(m.subscribedTopicNames.size());
                for (String t : m.subscribedTopicNames) {
                    GroupMetadataLog.writeString(out, t);
                }
                GroupMetadataLog.writePartitions(out, m.assigned);
                GroupMetadataLog.writePartitions(out, g.target.getOrDefault(m.memberId, Map.of()));
            }
        });
    }

    static Group decode(String groupId, byte[] state) {
        Group g = new Group(groupId);
        GroupMetadataLog.decode(state, in -> {
            g.groupEpoch = in.readInt();
            g.assignmentEpoch = in.readInt();
            g.subscribedTopics = GroupMetadataLog.readTopicCounts(in);
            int members = in.readInt();
            for (int i = 0; i < members; i++) {
                Member m = new Member();
                m.memberId = GroupMetadataLog.readString(in);
                m.rackId = GroupMetadataLog.readString(in);
                m.clientId = GroupMetadataLog.readString(in);
                m.clientHost = GroupMetadataLog.readString(in);
                m.memberEpoch = in.readInt();
                m.previousMemberEpoch = in.readInt();
                int topicCount = in.readInt();
                List<String> names = new ArrayList<>();
                for (int t = 0; t < topicCount; t++) {
                    names.add(GroupMetadataLog.readString(in));
                }
                m.subscribedTopicNames = List.copyOf(names);
                m.assigned = GroupMetadataLog.readPartitions(in);
                g.target.put(m.memberId, GroupMetadataLog.readPartitions(in));
                g.members.put(m.memberId, m);
            }
        });
        return g;
    }

    private static Map<Uuid, Set<Integer>> copy(Map<Uuid, Set<Integer>> in) {
        Map<Uuid, Set<Integer>> out = new TreeMap<>();
        in.forEach((k, v) -> out.put(k, new TreeSet<>(v)));
        return out;
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
