package dev.weir.gateway.group;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups of the KIP-848 consumer protocol. The coordinator owns the assignment: a change of
 * membership, subscription or topic metadata bumps the group epoch and computes a new target
 * assignment with a server-side assignor; each member then reconciles towards its target one
 * heartbeat at a time (revoke first, then take partitions once their previous owner let go), and
 * its member epoch catches up with the target's epoch. Kafka's CurrentAssignmentBuilder rules.
 *
 * <p>Serialized on the classic coordinator's monitor, so the two protocols share one group id space.
 * Every change is saved as a snapshot record of the group before the heartbeat is answered.
 */
public final class ConsumerGroups {
    private static final Logger log = LoggerFactory.getLogger(ConsumerGroups.class);
    static final int JOIN_EPOCH = 0;
    static final int LEAVE_EPOCH = -1;
    static final int STATIC_LEAVE_EPOCH = -2;

    enum MemberState { STABLE, UNREVOKED_PARTITIONS, UNRELEASED_PARTITIONS }

    record Heartbeat(String groupId, String memberId, int memberEpoch, String instanceId, String rackId,
                     int rebalanceTimeoutMs, List<String> subscribedTopicNames, String subscribedTopicRegex,
                     String serverAssignor, Map<Uuid, Set<Integer>> ownedPartitions, String clientId,
                     String clientHost, short version) {
    }

    record HeartbeatResult(Errors error, String message, String memberId, int memberEpoch, int heartbeatIntervalMs,
                           Map<Uuid, Set<Integer>> assignment) {
        static HeartbeatResult error(Errors error, String message) {
            return new HeartbeatResult(error, message, null, 0, 0, null);
        }
    }

    record MemberDescription(String memberId, String instanceId, String rackId, int memberEpoch, String clientId,
                             String clientHost, List<String> subscribedTopicNames, String subscribedTopicRegex,
                             Map<Uuid, Set<Integer>> assignment, Map<Uuid, Set<Integer>> targetAssignment) {
    }

    record GroupDescription(String groupId, String state, int groupEpoch, int assignmentEpoch, String assignor,
                            List<MemberDescription> members) {
    }

    static final class Member {
        String memberId;
        String instanceId;
        String rackId;
        String clientId = "";
        String clientHost = "";
        int memberEpoch;
        int previousMemberEpoch;
        MemberState state = MemberState.STABLE;
        int rebalanceTimeoutMs;
        List<String> subscribedTopicNames = List.of();
        String subscribedTopicRegex;
        String serverAssignor;
        Map<Uuid, Set<Integer>> assigned = new TreeMap<>();
        Map<Uuid, Set<Integer>> pendingRevocation = new TreeMap<>();
        /**
         * KIP-1251: for each partition in {@code assigned} or {@code pendingRevocation}, the member
         * epoch at which this member got it. A commit at an older member epoch is accepted for a
         * partition the member has held since that epoch or earlier.
         */
        Map<Uuid, Map<Integer, Integer>> assignmentEpochs = new TreeMap<>();
        Runnable cancelSession = () -> { };
        Runnable cancelRevocation = () -> { };
        long timerEpoch;
    }

    static final class Group {
        final String groupId;
        int groupEpoch;
        int assignmentEpoch;
        final Map<String, Member> members = new LinkedHashMap<>();
        final Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>();
        final Map<String, String> staticMembers = new HashMap<>();
        Map<Uuid, Integer> subscribedTopics = Map.of();
        /** The latest save of this group: an answer that changes nothing still waits for it. */
        CompletableFuture<Void> lastSave = CompletableFuture.completedFuture(null);

        Group(String groupId) {
            this.groupId = groupId;
        }

        String state() {
            if (members.isEmpty()) {
                return "Empty";
            }
            if (assignmentEpoch < groupEpoch) {
                return "Assigning";
            }
            for (Member m : members.values()) {
                if (m.memberEpoch != assignmentEpoch || m.state != MemberState.STABLE) {
                    return "Reconciling";
                }
            }
            return "Stable";
        }
    }

    /** Saves a group's state (a snapshot; null when the group is gone); completes once durable. */
    interface Saver {
        CompletableFuture<Void> save(String groupId, Group groupOrNull);
    }

    private final GroupCoordinator classic;
    private final Object lock;
    private final GroupTimer timer;
    private final Function<String, Optional<TopicMeta>> topicByName;
    private final Supplier<Collection<TopicMeta>> allTopics;
    private final List<String> assignors;
    /** A group's session timeout and heartbeat interval: its own config, else the broker's. */
    private final java.util.function.ToIntFunction<String> sessionTimeoutMs;
    private final java.util.function.ToIntFunction<String> heartbeatIntervalMs;
    private final Saver saver;
    private final Map<String, Group> groups = new HashMap<>();
    private java.util.function.Predicate<String> shareGroupExists = id -> false;

    ConsumerGroups(GroupCoordinator classic, GroupTimer timer, Function<String, Optional<TopicMeta>> topicByName,
                   Supplier<Collection<TopicMeta>> allTopics, List<String> assignors, int sessionTimeoutMs,
                   int heartbeatIntervalMs, Saver saver) {
        this(classic, timer, topicByName, allTopics, assignors, groupId -> sessionTimeoutMs,
                groupId -> heartbeatIntervalMs, saver);
    }

    ConsumerGroups(GroupCoordinator classic, GroupTimer timer, Function<String, Optional<TopicMeta>> topicByName,
                   Supplier<Collection<TopicMeta>> allTopics, List<String> assignors,
                   java.util.function.ToIntFunction<String> sessionTimeoutMs,
                   java.util.function.ToIntFunction<String> heartbeatIntervalMs, Saver saver) {
        this.classic = classic;
        this.lock = classic;
        this.timer = timer;
        this.topicByName = topicByName;
        this.allTopics = allTopics;
        this.assignors = List.copyOf(assignors);
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.saver = saver;
        classic.consumerGroups(this::exists);
    }

    /**
     * The consumer protocol's groups beside the classic coordinator (sharing its monitor and group
     * ids), on its timers, with the groups saved in the metadata log put back.
     */
    public static ConsumerGroups open(GroupCoordinator classic, ScheduledExecutorService timers, TopicCatalog catalog,
                                      List<String> assignors, int sessionTimeoutMs, int heartbeatIntervalMs,
                                      GroupMetadataLog metadata) {
        return open(classic, timers, catalog, assignors, groupId -> sessionTimeoutMs, groupId -> heartbeatIntervalMs,
                metadata);
    }

    /** As above, with each group's session timeout and heartbeat interval from its group configs. */
    public static ConsumerGroups open(GroupCoordinator classic, ScheduledExecutorService timers, TopicCatalog catalog,
                                      List<String> assignors, GroupConfigs configs, GroupMetadataLog metadata) {
        return open(classic, timers, catalog, assignors,
                groupId -> configs.intValue(groupId, "consumer.session.timeout.ms"),
                groupId -> configs.intValue(groupId, "consumer.heartbeat.interval.ms"), metadata);
    }

    private static ConsumerGroups open(GroupCoordinator classic, ScheduledExecutorService timers, TopicCatalog catalog,
                                       List<String> assignors, java.util.function.ToIntFunction<String> sessionTimeoutMs,
                                       java.util.function.ToIntFunction<String> heartbeatIntervalMs,
                                       GroupMetadataLog metadata) {
        ConsumerGroups groups = new ConsumerGroups(classic, GroupTimer.of(timers), catalog::byName, catalog::all,
                assignors, sessionTimeoutMs, heartbeatIntervalMs,
                (groupId, group) -> group == null ? metadata.delete(groupId)
                        : metadata.save(groupId, GroupMetadataLog.CONSUMER, encode(group)));
        metadata.loaded().forEach((groupId, stored) -> {
            if (stored.type() == GroupMetadataLog.CONSUMER) {
                groups.restore(decode(groupId, stored.state()));
            }
        });
        return groups;
    }

    /** Shares the group id space with share groups. */
    void shareGroups(java.util.function.Predicate<String> exists) {
        this.shareGroupExists = exists;
    }

    // ---------------------------------------------------------------- heartbeat

    CompletableFuture<HeartbeatResult> heartbeat(Heartbeat h) {
        synchronized (lock) {
            HeartbeatResult invalid = validate(h);
            if (invalid != null) {
                return done(invalid);
            }
            if (shareGroupExists.test(h.groupId())) {
                return done(HeartbeatResult.error(Errors.GROUP_ID_NOT_FOUND,
                        "Group " + h.groupId() + " is not a consumer group."));
            }
            if (classic.inUse(h.groupId())) {
                return done(HeartbeatResult.error(Errors.GROUP_ID_NOT_FOUND,
                        "Group " + h.groupId() + " is not a consumer group."));
            }
            if (h.memberEpoch() == LEAVE_EPOCH || h.memberEpoch() == STATIC_LEAVE_EPOCH) {
                return leave(h);
            }
            Group group = groups.get(h.groupId());
            if (group == null) {
                if (h.memberEpoch() != JOIN_EPOCH) {
                    return done(HeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "Member " + h.memberId()
                            + " is not a member of group " + h.groupId() + "."));
                }
                classic.release(h.groupId());
                group = new Group(h.groupId());
                groups.put(h.groupId(), group);
            }
            Member member;
            boolean changed;
            boolean tookOver = false;
            Map<Uuid, Set<Integer>> before;
            if (h.memberEpoch() == JOIN_EPOCH) {
                String memberId = h.memberId().isEmpty() ? Uuid.randomUuid().toString() : h.memberId();
                String current = h.instanceId() == null ? null : group.staticMembers.get(h.instanceId());
                if (current != null && !current.equals(memberId)) {
                    Member previous = group.members.get(current);
                    if (previous.memberEpoch != STATIC_LEAVE_EPOCH) {
                        return done(HeartbeatResult.error(Errors.UNRELEASED_INSTANCE_ID, "Static member "
                                + h.instanceId() + " of group " + h.groupId() + " is still in use by " + current + "."));
                    }
                    // The static member is back under a new member id: it takes the old one's place and
                    // partitions, at the epoch it left with, without a rebalance.
                    group.members.remove(current);
                    previous.cancelSession.run();
                    previous.memberId = memberId;
                    previous.memberEpoch = previous.previousMemberEpoch;
                    group.members.put(memberId, previous);
                    group.target.put(memberId, group.target.remove(current));
                    tookOver = true;
                    log.info("Static member {} of group {} rejoined as {} (was {})", h.instanceId(), h.groupId(),
                            memberId, current);
                }
                member = group.members.get(memberId);
                changed = member == null;
                if (member == null) {
                    member = new Member();
                    member.memberId = memberId;
                    group.members.put(memberId, member);
                    log.info("Member {} joined consumer group {}", memberId, h.groupId());
                } else if (!tookOver) {
                    // A known member joining again (e.g. after it was fenced) has let go of its partitions.
                    member.cancelRevocation.run();
                    member.assigned = new TreeMap<>();
                    member.pendingRevocation = new TreeMap<>();
                    member.assignmentEpochs = new TreeMap<>();
                    member.state = MemberState.STABLE;
                    member.memberEpoch = 0;
                }
                if (h.instanceId() != null) {
                    group.staticMembers.put(h.instanceId(), memberId);
                }
                before = null;
            } else {
                member = group.members.get(h.memberId());
                if (member == null) {
                    return done(HeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "Member " + h.memberId()
                            + " is not a member of group " + h.groupId() + "."));
                }
                if (h.instanceId() != null && !h.memberId().equals(group.staticMembers.get(h.instanceId()))) {
                    return done(HeartbeatResult.error(Errors.FENCED_INSTANCE_ID, "Static member " + h.instanceId()
                            + " was replaced by another member."));
                }
                if (h.memberEpoch() != member.memberEpoch && !(h.memberEpoch() == member.previousMemberEpoch
                        && h.ownedPartitions() != null && subset(h.ownedPartitions(), member.assigned))) {
                    return done(HeartbeatResult.error(Errors.FENCED_MEMBER_EPOCH, "The member epoch " + h.memberEpoch()
                            + " is not the current epoch " + member.memberEpoch + " of member " + member.memberId + "."));
                }
                before = copy(member.assigned);
                changed = false;
            }
            changed |= update(member, h);
            scheduleSession(group, member);
            Map<Uuid, Integer> subscribed = subscribedTopics(group);
            if (!subscribed.equals(group.subscribedTopics)) {
                group.subscribedTopics = subscribed;
                changed = true;
            }
            if (changed) {
                group.groupEpoch++;
                computeTarget(group);
            }
            boolean reconciled = reconcile(group, member, h.ownedPartitions());
            boolean fullRequest = h.memberEpoch() == JOIN_EPOCH || (h.rebalanceTimeoutMs() != -1
                    && (h.subscribedTopicNames() != null || h.subscribedTopicRegex() != null) && h.ownedPartitions() != null);
            Map<Uuid, Set<Integer>> assignment = fullRequest || !member.assigned.equals(before) ? copy(member.assigned) : null;
            HeartbeatResult result = new HeartbeatResult(Errors.NONE, null, member.memberId, member.memberEpoch,
                    heartbeatIntervalMs.applyAsInt(group.groupId), assignment);
            if (!changed && !reconciled && !tookOver) {
                // Nothing new from this heartbeat, but what it tells may come from a change (a timer's,
                // another member's) still being written: it is answered once that is durable too.
                return saved(group).thenApply(v -> result);
            }
            return persist(group).thenApply(v -> result);
        }
    }

    private HeartbeatResult validate(Heartbeat h) {
        if (h.groupId() == null || h.groupId().isEmpty()) {
            return HeartbeatResult.error(Errors.INVALID_REQUEST, "GroupId can't be empty.");
        }
        if (h.version() >= 1 && (h.memberId() == null || h.memberId().isEmpty())) {
            return HeartbeatResult.error(Errors.INVALID_REQUEST, "MemberId can't be empty.");
        }
        if (h.memberEpoch() < STATIC_LEAVE_EPOCH) {
            return HeartbeatResult.error(Errors.INVALID_REQUEST, "MemberEpoch is invalid.");
        }
        if (h.memberEpoch() == STATIC_LEAVE_EPOCH && h.instanceId() == null) {
            return HeartbeatResult.error(Errors.INVALID_REQUEST, "InstanceId can't be null.");
        }
        if (h.memberEpoch() == JOIN_EPOCH) {
            if (h.rebalanceTimeoutMs() == -1) {
                return HeartbeatResult.error(Errors.INVALID_REQUEST, "RebalanceTimeoutMs must be provided in first request.");
            }
            if (h.ownedPartitions() == null || !h.ownedPartitions().isEmpty()) {
                return HeartbeatResult.error(Errors.INVALID_REQUEST, "TopicPartitions must be empty when (re-)joining.");
            }
            if (h.subscribedTopicNames() == null && h.subscribedTopicRegex() == null) {
                return HeartbeatResult.error(Errors.INVALID_REQUEST,
                        "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
            }
        }
        if (h.serverAssignor() != null && !assignors.contains(h.serverAssignor())) {
            return HeartbeatResult.error(Errors.UNSUPPORTED_ASSIGNOR, "ServerAssignor " + h.serverAssignor()
                    + " is not supported. Supported assignors: " + String.join(", ", assignors) + ".");
        }
        if (h.subscribedTopicRegex() != null) {
            try {
                Pattern.compile(h.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                return HeartbeatResult.error(Errors.INVALID_REGULAR_EXPRESSION, "SubscribedTopicRegex "
                        + h.subscribedTopicRegex() + " is not a valid regular expression.");
            }
        }
        return null;
    }

    /** Applies the fields the member sent (null or -1: unchanged); whether its subscription changed. */
    private static boolean update(Member m, Heartbeat h) {
        boolean changed = false;
        if (h.instanceId() != null) {
            m.instanceId = h.instanceId();
        }
        if (h.rackId() != null) {
            m.rackId = h.rackId();
        }
        if (h.rebalanceTimeoutMs() != -1) {
            m.rebalanceTimeoutMs = h.rebalanceTimeoutMs();
        }
        if (h.subscribedTopicNames() != null) {
            List<String> names = new ArrayList<>(new TreeSet<>(h.subscribedTopicNames()));
            changed |= !names.equals(m.subscribedTopicNames);
            m.subscribedTopicNames = names;
        }
        if (h.subscribedTopicRegex() != null) {
            String regex = h.subscribedTopicRegex().isEmpty() ? null : h.subscribedTopicRegex();
            changed |= !Objects.equals(regex, m.subscribedTopicRegex);
            m.subscribedTopicRegex = regex;
        }
        if (h.serverAssignor() != null) {
            changed |= !h.serverAssignor().equals(m.serverAssignor);
            m.serverAssignor = h.serverAssignor();
        }
        m.clientId = h.clientId() == null ? "" : h.clientId();
        m.clientHost = h.clientHost() == null ? "" : h.clientHost();
        return changed;
    }

    private CompletableFuture<HeartbeatResult> leave(Heartbeat h) {
        Group group = groups.get(h.groupId());
        Member member = group == null ? null : group.members.get(h.memberId());
        if (member == null && group != null && h.instanceId() != null) {
            String current = group.staticMembers.get(h.instanceId());
            if (current != null && !current.equals(h.memberId())) {
                return done(HeartbeatResult.error(Errors.FENCED_INSTANCE_ID, "Static member " + h.instanceId()
                        + " was replaced by another member."));
            }
        }
        if (member == null) {
            return done(HeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "Member " + h.memberId()
                    + " is not a member of group " + h.groupId() + "."));
        }
        HeartbeatResult result = new HeartbeatResult(Errors.NONE, null, member.memberId, h.memberEpoch(),
                heartbeatIntervalMs.applyAsInt(h.groupId()), null);
        if (h.memberEpoch() == STATIC_LEAVE_EPOCH) {
            // A static member going away for a while keeps its assignment until its session runs out.
            log.info("Static member {} ({}) of group {} left temporarily", member.instanceId, member.memberId, group.groupId);
            member.previousMemberEpoch = member.memberEpoch;
            member.memberEpoch = STATIC_LEAVE_EPOCH;
            scheduleSession(group, member);
        } else {
            log.info("Member {} left consumer group {}", member.memberId, group.groupId);
            removeMember(group, member);
        }
        return persist(group).thenApply(v -> result);
    }

    private void removeMember(Group group, Member member) {
        member.cancelSession.run();
        member.cancelRevocation.run();
        member.timerEpoch++;
        group.members.remove(member.memberId);
        group.target.remove(member.memberId);
        if (member.instanceId != null) {
            group.staticMembers.remove(member.instanceId, member.memberId);
        }
        group.subscribedTopics = subscribedTopics(group);
        group.groupEpoch++;
        computeTarget(group);
    }

    // ---------------------------------------------------------------- assignment

    /** Every topic the group's members subscribe to (by name or regex) that exists, with its partition count. */
    private Map<Uuid, Integer> subscribedTopics(Group group) {
        Map<Uuid, Integer> out = new TreeMap<>();
        for (Member m : group.members.values()) {
            resolve(m).values().forEach(t -> out.put(t.id(), t.partitions()));
        }
        return out;
    }

    /** The member's subscribed topics that exist, by id. */
    private Map<Uuid, TopicMeta> resolve(Member m) {
        Map<Uuid, TopicMeta> out = new HashMap<>();
        for (String name : m.subscribedTopicNames) {
            topicByName.apply(name).ifPresent(t -> out.put(t.id(), t));
        }
        if (m.subscribedTopicRegex != null) {
            Pattern p = Pattern.compile(m.subscribedTopicRegex);
            for (TopicMeta t : allTopics.get()) {
                if (!t.name().startsWith("__") && p.matcher(t.name()).matches()) {
                    out.put(t.id(), t);
                }
            }
        }
        return out;
    }

    private void computeTarget(Group group) {
        List<ServerAssignor.Subscriber> subscribers = new ArrayList<>();
        Map<Uuid, String> names = new HashMap<>();
        for (Member m : group.members.values()) {
            Map<Uuid, TopicMeta> topics = resolve(m);
            topics.values().forEach(t -> names.put(t.id(), t.name()));
            subscribers.add(new ServerAssignor.Subscriber(m.memberId, topics.keySet(),
                    group.target.getOrDefault(m.memberId, Map.of())));
        }
        ServerAssignor assignor = ServerAssignor.named(selectAssignor(group));
        Map<String, Map<Uuid, Set<Integer>>> target = assignor.assign(subscribers, group.subscribedTopics,
                Comparator.comparing(id -> names.getOrDefault(id, "")));
        group.target.clear();
        group.target.putAll(target);
        group.assignmentEpoch = group.groupEpoch;
        log.info("Consumer group {} epoch {}: target assignment computed by {} for {} members", group.groupId,
                group.groupEpoch, assignor.name(), group.members.size());
    }

    /** The assignor most members ask for; the first configured one when none asks. */
    String selectAssignor(Group group) {
        Map<String, Integer> votes = new TreeMap<>();
        for (Member m : group.members.values()) {
            if (m.serverAssignor != null) {
                votes.merge(m.serverAssignor, 1, Integer::sum);
            }
        }
        String best = assignors.get(0);
        int most = 0;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }

    /**
     * Moves the member towards its target (Kafka's CurrentAssignmentBuilder): partitions to give up
     * are revoked first, at the current epoch; once the member reports it no longer owns them, it
     * moves to the target epoch and gets the new partitions that no other member still holds.
     * Whether anything changed.
     */
    private boolean reconcile(Group group, Member m, Map<Uuid, Set<Integer>> owned) {
        int epoch = m.memberEpoch;
        MemberState state = m.state;
        Map<Uuid, Set<Integer>> assigned = m.assigned;
        switch (m.state) {
            case STABLE -> {
                if (m.memberEpoch != group.assignmentEpoch) {
                    next(group, m);
                }
            }
            case UNREVOKED_PARTITIONS -> {
                if (owned != null && !intersects(owned, m.pendingRevocation)) {
                    m.pendingRevocation = new TreeMap<>();
                    m.cancelRevocation.run();
                    next(group, m);
                }
            }
            case UNRELEASED_PARTITIONS -> next(group, m);
            default -> throw new IllegalStateException();
        }
        return epoch != m.memberEpoch || state != m.state || !assigned.equals(m.assigned);
    }

    private void next(Group group, Member m) {
        Map<Uuid, Set<Integer>> target = group.target.getOrDefault(m.memberId, Map.of());
        Map<Uuid, Set<Integer>> retain = new TreeMap<>();
        Map<Uuid, Set<Integer>> revoke = new TreeMap<>();
        m.assigned.forEach((topic, ps) -> {
            for (int p : ps) {
                (target.getOrDefault(topic, Set.of()).contains(p) ? retain : revoke)
                        .computeIfAbsent(topic, t -> new TreeSet<>()).add(p);
            }
        });
        if (!revoke.isEmpty()) {
            m.state = MemberState.UNREVOKED_PARTITIONS;
            m.assigned = retain;
            m.pendingRevocation = revoke;
            scheduleRevocation(group, m);
            return;
        }
        Map<Uuid, Set<Integer>> held = heldByOthers(group, m);
        boolean unreleased = false;
        Map<Uuid, Set<Integer>> assigned = copy(retain);
        for (Map.Entry<Uuid, Set<Integer>> e : target.entrySet()) {
            for (int p : e.getValue()) {
                if (held.getOrDefault(e.getKey(), Set.of()).contains(p)) {
                    unreleased = true;
                } else {
                    assigned.computeIfAbsent(e.getKey(), t -> new TreeSet<>()).add(p);
                }
            }
        }
        if (m.memberEpoch != group.assignmentEpoch) {
            m.previousMemberEpoch = m.memberEpoch;
        }
        m.memberEpoch = group.assignmentEpoch;
        m.assigned = assigned;
        m.state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
        noteAssignmentEpochs(m);
    }

    /** Partitions new to the member were got at its current epoch; partitions it let go are forgotten. */
    private static void noteAssignmentEpochs(Member m) {
        Map<Uuid, Map<Integer, Integer>> epochs = new TreeMap<>();
        for (Map<Uuid, Set<Integer>> held : List.of(m.assigned, m.pendingRevocation)) {
            held.forEach((topic, ps) -> {
                Map<Integer, Integer> before = m.assignmentEpochs.getOrDefault(topic, Map.of());
                for (int p : ps) {
                    epochs.computeIfAbsent(topic, t -> new TreeMap<>()).put(p, before.getOrDefault(p, m.memberEpoch));
                }
            });
        }
        m.assignmentEpochs = epochs;
    }

    /** Partitions other members still own or are revoking. */
    private static Map<Uuid, Set<Integer>> heldByOthers(Group group, Member self) {
        Map<Uuid, Set<Integer>> held = new HashMap<>();
        for (Member o : group.members.values()) {
            if (o == self) {
                continue;
            }
            o.assigned.forEach((t, ps) -> held.computeIfAbsent(t, x -> new HashSet<>()).addAll(ps));
            o.pendingRevocation.forEach((t, ps) -> held.computeIfAbsent(t, x -> new HashSet<>()).addAll(ps));
        }
        return held;
    }

    // ---------------------------------------------------------------- timers

    private void scheduleSession(Group group, Member m) {
        m.cancelSession.run();
        long epoch = ++m.timerEpoch;
        String groupId = group.groupId;
        String memberId = m.memberId;
        int sessionMs = sessionTimeoutMs.applyAsInt(groupId);
        m.cancelSession = timer.schedule(sessionMs, () -> expire(groupId, memberId, epoch,
                "no heartbeat within " + sessionMs + " ms"));
    }

    private void scheduleRevocation(Group group, Member m) {
        m.cancelRevocation.run();
        String groupId = group.groupId;
        String memberId = m.memberId;
        int epoch = m.memberEpoch;
        m.cancelRevocation = timer.schedule(m.rebalanceTimeoutMs, () -> {
            synchronized (lock) {
                Group g = groups.get(groupId);
                Member now = g == null ? null : g.members.get(memberId);
                if (now != null && now.state == MemberState.UNREVOKED_PARTITIONS && now.memberEpoch == epoch) {
                    log.info("Member {} of consumer group {} fenced: it did not revoke its partitions within {} ms",
                            memberId, groupId, now.rebalanceTimeoutMs);
                    removeMember(g, now);
                    persist(g);
                }
            }
        });
    }

    private void expire(String groupId, String memberId, long timerEpoch, String why) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            Member m = g == null ? null : g.members.get(memberId);
            if (m == null || m.timerEpoch != timerEpoch) {
                return;
            }
            log.info("Member {} of consumer group {} expired: {}", memberId, groupId, why);
            removeMember(g, m);
            persist(g);
        }
    }

    /** Completes once the group's latest save is written; if that save failed, saves it again. Under the lock. */
    private CompletableFuture<Void> saved(Group g) {
        return g.lastSave.isCompletedExceptionally() ? persist(g) : g.lastSave;
    }

    /** Saves the group as it is now; callers answer once this completes. Called under the lock. */
    private CompletableFuture<Void> persist(Group g) {
        CompletableFuture<Void> saved = saver.save(g.groupId, g);
        g.lastSave = saved;
        return saved;
    }

    // ---------------------------------------------------------------- queries and admin

    boolean exists(String groupId) {
        synchronized (lock) {
            return groups.containsKey(groupId);
        }
    }

    boolean hasMembers(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            return g != null && !g.members.isEmpty();
        }
    }

    /**
     * Whether a member may commit (or fetch, when {@code fetch}) offsets at this epoch; empty when the
     * group is not a consumer group. Commits without a member are allowed only to an empty group.
     */
    Optional<Errors> validateOffsets(String groupId, String memberId, int memberEpoch, boolean fetch) {
        return validateOffsets(groupId, memberId, memberEpoch, fetch, null);
    }

    /**
     * As {@link #validateOffsets(String, String, int, boolean)}, for a commit of these partitions (by
     * topic id; null when unknown), which an older member epoch may commit under KIP-1251.
     */
    Optional<Errors> validateOffsets(String groupId, String memberId, int memberEpoch, boolean fetch,
                                     Map<Uuid, Set<Integer>> partitions) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            if (g == null) {
                return Optional.empty();
            }
            if (memberEpoch < 0 && (fetch || g.members.isEmpty())) {
                return Optional.of(Errors.NONE);
            }
            Member m = memberId == null ? null : g.members.get(memberId);
            if (m == null) {
                return Optional.of(Errors.UNKNOWN_MEMBER_ID);
            }
            if (memberEpoch == m.memberEpoch) {
                return Optional.of(Errors.NONE);
            }
            if (memberEpoch > m.memberEpoch || fetch || partitions == null) {
                return Optional.of(Errors.STALE_MEMBER_EPOCH);
            }
            // KIP-1251: a member that has not yet heard of its new epoch may still commit what it has
            // held since the epoch it names; a partition it got later, or gave up, is refused.
            for (Map.Entry<Uuid, Set<Integer>> e : partitions.entrySet()) {
                Map<Integer, Integer> epochs = m.assignmentEpochs.getOrDefault(e.getKey(), Map.of());
                for (int p : e.getValue()) {
                    Integer since = epochs.get(p);
                    if (since == null || since > memberEpoch) {
                        return Optional.of(Errors.STALE_MEMBER_EPOCH);
                    }
                }
            }
            return Optional.of(Errors.NONE);
        }
    }

    Optional<GroupDescription> describe(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            if (g == null) {
                return Optional.empty();
            }
            List<MemberDescription> members = new ArrayList<>();
            for (Member m : g.members.values()) {
                members.add(new MemberDescription(m.memberId, m.instanceId, m.rackId, m.memberEpoch, m.clientId,
                        m.clientHost, m.subscribedTopicNames, m.subscribedTopicRegex, copy(m.assigned),
                        copy(g.target.getOrDefault(m.memberId, Map.of()))));
            }
            return Optional.of(new GroupDescription(g.groupId, g.state(), g.groupEpoch, g.assignmentEpoch,
                    selectAssignor(g), members));
        }
    }

    /** Group id to state name. */
    Map<String, String> list() {
        synchronized (lock) {
            Map<String, String> out = new TreeMap<>();
            groups.values().forEach(g -> out.put(g.groupId, g.state()));
            return out;
        }
    }

    /** Deletes an empty group: NONE, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP. */
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
            return saver.save(groupId, null).thenApply(v -> Errors.NONE);
        }
    }

    /** Offsets of a consumer group expire by commit time, except for topics its members subscribe to. */
    Optional<OffsetExpiry.Rule> expiryRule(String groupId) {
        synchronized (lock) {
            return groups.containsKey(groupId) ? Optional.of(OffsetExpiry.Rule.byCommitTime(subscribedTopicNames(groupId)))
                    : Optional.empty();
        }
    }

    /** Topic names the group's members subscribe to (explicitly or by regex), for OffsetDelete. */
    Set<String> subscribedTopicNames(String groupId) {
        synchronized (lock) {
            Group g = groups.get(groupId);
            Set<String> out = new HashSet<>();
            if (g != null) {
                g.members.values().forEach(m -> resolve(m).values().forEach(t -> out.add(t.name())));
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- restore

    /** Puts back a group read from the metadata log; its members' sessions start now. */
    void restore(Group group) {
        synchronized (lock) {
            groups.put(group.groupId, group);
            group.members.values().forEach(m -> scheduleSession(group, m));
            group.members.values().stream().filter(m -> m.state == MemberState.UNREVOKED_PARTITIONS)
                    .forEach(m -> scheduleRevocation(group, m));
        }
    }

    /** The group's durable state, for the metadata log. */
    static byte[] encode(Group g) {
        return GroupMetadataLog.encode(out -> {
            out.writeInt(g.groupEpoch);
            out.writeInt(g.assignmentEpoch);
            GroupMetadataLog.writeTopicCounts(out, g.subscribedTopics);
            out.writeInt(g.members.size());
            for (Member m : g.members.values()) {
                GroupMetadataLog.writeString(out, m.memberId);
                GroupMetadataLog.writeString(out, m.instanceId);
                GroupMetadataLog.writeString(out, m.rackId);
                GroupMetadataLog.writeString(out, m.clientId);
                GroupMetadataLog.writeString(out, m.clientHost);
                out.writeInt(m.memberEpoch);
                out.writeInt(m.previousMemberEpoch);
                out.writeByte(m.state.ordinal());
                out.writeInt(m.rebalanceTimeoutMs);
                out.writeInt(m.subscribedTopicNames.size());
                for (String t : m.subscribedTopicNames) {
                    GroupMetadataLog.writeString(out, t);
                }
                GroupMetadataLog.writeString(out, m.subscribedTopicRegex);
                GroupMetadataLog.writeString(out, m.serverAssignor);
                GroupMetadataLog.writePartitions(out, m.assigned);
                GroupMetadataLog.writePartitions(out, m.pendingRevocation);
                GroupMetadataLog.writePartitions(out, g.target.getOrDefault(m.memberId, Map.of()));
            }
            // Appended later (KIP-1251): records written before have none, and replay each partition
            // as got at its member's current epoch.
            for (Member m : g.members.values()) {
                out.writeInt(m.assignmentEpochs.size());
                for (Map.Entry<Uuid, Map<Integer, Integer>> e : m.assignmentEpochs.entrySet()) {
                    out.writeLong(e.getKey().getMostSignificantBits());
                    out.writeLong(e.getKey().getLeastSignificantBits());
                    out.writeInt(e.getValue().size());
                    for (Map.Entry<Integer, Integer> pe : e.getValue().entrySet()) {
                        out.writeInt(pe.getKey());
                        out.writeInt(pe.getValue());
                    }
                }
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
                m.instanceId = GroupMetadataLog.readString(in);
                m.rackId = GroupMetadataLog.readString(in);
                m.clientId = GroupMetadataLog.readString(in);
                m.clientHost = GroupMetadataLog.readString(in);
                m.memberEpoch = in.readInt();
                m.previousMemberEpoch = in.readInt();
                m.state = MemberState.values()[in.readByte()];
                m.rebalanceTimeoutMs = in.readInt();
                List<String> names = new ArrayList<>();
                int t = in.readInt();
                for (int j = 0; j < t; j++) {
                    names.add(GroupMetadataLog.readString(in));
                }
                m.subscribedTopicNames = names;
                m.subscribedTopicRegex = GroupMetadataLog.readString(in);
                m.serverAssignor = GroupMetadataLog.readString(in);
                m.assigned = GroupMetadataLog.readPartitions(in);
                m.pendingRevocation = GroupMetadataLog.readPartitions(in);
                g.target.put(m.memberId, GroupMetadataLog.readPartitions(in));
                g.members.put(m.memberId, m);
                if (m.instanceId != null) {
                    g.staticMembers.put(m.instanceId, m.memberId);
                }
            }
            boolean withEpochs = in.available() > 0;
            for (Member m : g.members.values()) {
                if (!withEpochs) {
                    noteAssignmentEpochs(m);
                    continue;
                }
                int topicCount = in.readInt();
                for (int i = 0; i < topicCount; i++) {
                    Uuid topic = new Uuid(in.readLong(), in.readLong());
                    Map<Integer, Integer> epochs = new TreeMap<>();
                    int count = in.readInt();
                    for (int j = 0; j < count; j++) {
                        epochs.put(in.readInt(), in.readInt());
                    }
                    m.assignmentEpochs.put(topic, epochs);
                }
            }
        });
        return g;
    }

    // ---------------------------------------------------------------- helpers

    private static boolean subset(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        for (Map.Entry<Uuid, Set<Integer>> e : a.entrySet()) {
            if (!b.getOrDefault(e.getKey(), Set.of()).containsAll(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean intersects(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        for (Map.Entry<Uuid, Set<Integer>> e : a.entrySet()) {
            Set<Integer> other = b.getOrDefault(e.getKey(), Set.of());
            for (int p : e.getValue()) {
                if (other.contains(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    static Map<Uuid, Set<Integer>> copy(Map<Uuid, Set<Integer>> m) {
        Map<Uuid, Set<Integer>> out = new TreeMap<>();
        m.forEach((t, ps) -> {
            if (!ps.isEmpty()) {
                out.put(t, new TreeSet<>(ps));
            }
        });
        return out;
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
