package dev.weir.gateway.group;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classic (pre-KIP-848) consumer groups: membership, rebalances and generations, following Kafka's
 * state machine (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead). Every state that
 * waits on clients has a timer that moves it on, so no group can get stuck. All changes are
 * serialized on this object's monitor; time comes only from the {@link GroupTimer}, so tests drive
 * it by hand. Membership lives in memory: after a restart members rejoin, as Kafka clients do when
 * their coordinator moves.
 */
public final class GroupCoordinator {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);
    static final int MIN_SESSION_TIMEOUT_MS = 6000;
    static final int MAX_SESSION_TIMEOUT_MS = 1800000;

    enum State {
        EMPTY("Empty"), PREPARING_REBALANCE("PreparingRebalance"), COMPLETING_REBALANCE("CompletingRebalance"),
        STABLE("Stable"), DEAD("Dead");

        final String kafkaName;

        State(String kafkaName) {
            this.kafkaName = kafkaName;
        }
    }

    record Protocol(String name, byte[] metadata) {
    }

    /**
     * A JoinGroup. {@code requireKnownMemberId}: v4+ (KIP-394); {@code canSkipAssignment}: v9+ (KIP-814),
     * the client can be named leader yet told not to run the assignment.
     */
    record JoinRequest(String groupId, String memberId, String instanceId, String protocolType, List<Protocol> protocols,
                       int sessionTimeoutMs, int rebalanceTimeoutMs, boolean requireKnownMemberId,
                       boolean canSkipAssignment, String clientId, String clientHost) {
    }

    record JoinedMember(String memberId, String instanceId, byte[] metadata) {
    }

    record JoinResult(Errors error, int generationId, String protocolType, String protocolName, String leaderId,
                      String memberId, List<JoinedMember> members, boolean skipAssignment) {
        static JoinResult error(Errors error, String memberId) {
            return new JoinResult(error, -1, null, null, "", memberId, List.of(), false);
        }
    }

    record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment) {
        static SyncResult error(Errors error) {
            return new SyncResult(error, null, null, new byte[0]);
        }
    }

    record MemberDescription(String memberId, String instanceId, String clientId, String clientHost,
                             byte[] metadata, byte[] assignment) {
    }

    record GroupDescription(String groupId, String state, String protocolType, String protocolName,
                            List<MemberDescription> members) {
    }

    record GroupListing(String groupId, String protocolType, String state) {
    }

    private static final class Member {
        String memberId;
        final String instanceId;
        final String clientId;
        final String clientHost;
        int sessionTimeoutMs;
        int rebalanceTimeoutMs;
        List<Protocol> protocols;
        byte[] assignment = new byte[0];
        CompletableFuture<JoinResult> awaitingJoin;
        CompletableFuture<SyncResult> awaitingSync;
        long heartbeatEpoch;
        Runnable cancelHeartbeat = () -> { };

        Member(String memberId, JoinRequest r) {
            this.memberId = memberId;
            this.instanceId = r.instanceId();
            this.clientId = r.clientId();
            this.clientHost = r.clientHost();
            update(r);
        }

        void update(JoinRequest r) {
            sessionTimeoutMs = r.sessionTimeoutMs();
            rebalanceTimeoutMs = r.rebalanceTimeoutMs() > 0 ? r.rebalanceTimeoutMs() : r.sessionTimeoutMs();
            protocols = List.copyOf(r.protocols());
        }

        byte[] metadata(String protocol) {
            return protocols.stream().filter(p -> p.name().equals(protocol)).map(Protocol::metadata).findFirst()
                    .orElse(new byte[0]);
        }

        boolean sameProtocols(List<Protocol> other) {
            if (other.size() != protocols.size()) {
                return false;
            }
            for (int i = 0; i < other.size(); i++) {
                if (!other.get(i).name().equals(protocols.get(i).name())
                        || !Arrays.equals(other.get(i).metadata(), protocols.get(i).metadata())) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final class Group {
        final String groupId;
        State state = State.EMPTY;
        /** When the group last became Empty (or was created): offsets of an empty group expire from here. */
        long emptySince = System.currentTimeMillis();
        int generationId;
        String protocolType;
        String protocolName;
        String leaderId;
        final Map<String, Member> members = new LinkedHashMap<>();
        final Set<String> pendingMembers = new HashSet<>();
        final Map<String, String> staticMembers = new HashMap<>();
        long timerEpoch;
        Runnable cancelTimer = () -> { };
        TimerKind currentTimer = TimerKind.NONE;
        boolean newMemberDuringInitialDelay;
        long initialDelayRemainingMs;

        Group(String groupId) {
            this.groupId = groupId;
        }

        int rebalanceTimeoutMs() {
            return members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
        }

        boolean allJoined() {
            return pendingMembers.isEmpty() && members.values().stream().allMatch(m -> m.awaitingJoin != null);
        }
    }

    /** Saves a group's state (null: the group is gone); completes once durable. */
    interface Saver {
        CompletableFuture<Void> save(String groupId, byte[] stateOrNull);

        Saver NONE = (groupId, state) -> CompletableFuture.completedFuture(null);
    }

    private final GroupTimer timer;
    private final long initialRebalanceDelayMs;
    private final Saver saver;
    private final Map<String, Group> groups = new HashMap<>();
    private java.util.function.Predicate<String> consumerGroupExists = id -> false;
    private java.util.function.Predicate<String> shareGroupExists = id -> false;

    GroupCoordinator(GroupTimer timer, long initialRebalanceDelayMs, Saver saver) {
        this.timer = timer;
        this.initialRebalanceDelayMs = initialRebalanceDelayMs;
        this.saver = saver;
    }

    GroupCoordinator(GroupTimer timer, long initialRebalanceDelayMs) {
        this(timer, initialRebalanceDelayMs, Saver.NONE);
    }

    /**
     * The classic coordinator on these timers, with the groups saved in the metadata log put back
     * (members get a fresh session to heartbeat in) and, as Empty, every other group with
     * committed offsets.
     */
    public static GroupCoordinator open(ScheduledExecutorService timers, long initialRebalanceDelayMs,
                                        CommittedOffsets offsets, GroupMetadataLog metadata) {
        GroupCoordinator coordinator = new GroupCoordinator(GroupTimer.of(timers), initialRebalanceDelayMs,
                (groupId, state) -> state == null ? metadata.delete(groupId)
                        : metadata.save(groupId, GroupMetadataLog.CLASSIC, state));
        metadata.loaded().forEach((groupId, stored) -> {
            if (stored.type() == GroupMetadataLog.CLASSIC) {
                coordinator.restore(groupId, stored.state());
            }
        });
        offsets.groups().forEach(id -> {
            if (!coordinator.consumerGroupExists.test(id) && !coordinator.shareGroupExists.test(id)
                    && metadata.loaded().get(id) == null) {
                coordinator.ensureGroup(id);
            }
        });
        return coordinator;
    }

    /** Shares the group id space with share groups too. */
    void shareGroups(java.util.function.Predicate<String> exists) {
        this.shareGroupExists = exists;
    }

    /** Shares the group id space with the consumer protocol's groups. */
    void consumerGroups(java.util.function.Predicate<String> exists) {
        this.consumerGroupExists = exists;
    }

    /** Whether a classic group with members holds this id (a consumer group may take an empty one over). */
    synchronized boolean inUse(String groupId) {
        Group g = groups.get(groupId);
        return g != null && (!g.members.isEmpty() || !g.pendingMembers.isEmpty());
    }

    /** Hands an empty classic group's id over to the consumer protocol. */
    synchronized void release(String groupId) {
        Group g = groups.get(groupId);
        if (g != null && g.members.isEmpty() && g.pendingMembers.isEmpty()) {
            cancelGroupTimer(g);
            groups.remove(groupId);
        }
    }

    // ---------------------------------------------------------------- JoinGroup

    synchronized CompletableFuture<JoinResult> join(JoinRequest r) {
        if (r.groupId() == null || r.groupId().isEmpty()) {
            return done(JoinResult.error(Errors.INVALID_GROUP_ID, r.memberId()));
        }
        if (r.sessionTimeoutMs() < MIN_SESSION_TIMEOUT_MS || r.sessionTimeoutMs() > MAX_SESSION_TIMEOUT_MS) {
            return done(JoinResult.error(Errors.INVALID_SESSION_TIMEOUT, r.memberId()));
        }
        boolean unknownMember = r.memberId() == null || r.memberId().isEmpty();
        if (consumerGroupExists.test(r.groupId()) || shareGroupExists.test(r.groupId())) {
            // Kafka converts between the protocols; Weir keeps a group on the protocol it was created with.
            return done(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, r.memberId()));
        }
        Group group = groups.get(r.groupId());
        if (group == null) {
            if (!unknownMember) {
                return done(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, r.memberId()));
            }
            group = new Group(r.groupId());
            groups.put(r.groupId(), group);
        }
        if (group.state == State.DEAD) {
            return done(JoinResult.error(Errors.COORDINATOR_NOT_AVAILABLE, r.memberId()));
        }
        if (r.protocolType() == null || r.protocolType().isEmpty() || r.protocols().isEmpty() || !supports(group, r)) {
            return done(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, r.memberId()));
        }
        return unknownMember ? joinUnknown(group, r) : joinKnown(group, r);
    }

    private boolean supports(Group group, JoinRequest r) {
        if (group.members.isEmpty()) {
            return true;
        }
        if (!r.protocolType().equals(group.protocolType)) {
            return false;
        }
        Set<String> offered = new HashSet<>();
        r.protocols().forEach(p -> offered.add(p.name()));
        Set<String> common = candidates(group, null);
        common.retainAll(offered);
        return !common.isEmpty();
    }

    /** Protocols every member (except {@code excluded}) supports. */
    private static Set<String> candidates(Group group, String excluded) {
        Set<String> common = null;
        for (Member m : group.members.values()) {
            if (m.memberId.equals(excluded)) {
                continue;
            }
            Set<String> names = new HashSet<>();
            m.protocols.forEach(p -> names.add(p.name()));
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        return common == null ? new HashSet<>() : common;
    }

    private CompletableFuture<JoinResult> joinUnknown(Group group, JoinRequest r) {
        if (r.instanceId() != null && group.staticMembers.containsKey(r.instanceId())) {
            return rejoinStatic(group, r);
        }
        String memberId = (r.clientId() == null ? "" : r.clientId()) + "-" + UUID.randomUUID();
        if (r.requireKnownMemberId() && r.instanceId() == null) {
            // KIP-394: hand out the id first; the member counts as pending until it joins with it.
            group.pendingMembers.add(memberId);
            long delay = r.sessionTimeoutMs();
            timer.schedule(delay, () -> expirePending(group.groupId, memberId));
            return done(JoinResult.error(Errors.MEMBER_ID_REQUIRED, memberId));
        }
        return addMember(group, memberId, r);
    }

    private CompletableFuture<JoinResult> rejoinStatic(Group group, JoinRequest r) {
        String oldId = group.staticMembers.get(r.instanceId());
        String previousLeader = group.leaderId;
        Member member = group.members.remove(oldId);
        String newId = (r.clientId() == null ? "" : r.clientId()) + "-" + UUID.randomUUID();
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(JoinResult.error(Errors.FENCED_INSTANCE_ID, oldId));
            member.awaitingJoin = null;
        }
        if (member.awaitingSync != null) {
            member.awaitingSync.complete(SyncResult.error(Errors.FENCED_INSTANCE_ID));
            member.awaitingSync = null;
        }
        member.memberId = newId;
        group.members.put(newId, member);
        group.staticMembers.put(r.instanceId(), newId);
        if (oldId.equals(group.leaderId)) {
            group.leaderId = newId;
        }
        log.info("Static member {} of group {} rejoined as {} (was {})", r.instanceId(), group.groupId, newId, oldId);
        List<Protocol> previous = member.protocols;
        member.update(r);
        // As Kafka: no rebalance while the protocol the group would select stays the one it uses.
        if (group.state == State.STABLE && selectProtocol(group).equals(group.protocolName)) {
            scheduleHeartbeat(group, member);
            JoinResult answer = stableRejoinAnswer(group, newId, previousLeader, r.canSkipAssignment());
            // As Kafka: the new member id is told only once the group holding it is durable.
            return saver.save(group.groupId, encode(group)).handle((v, failure) -> failure == null ? answer
                    : JoinResult.error(Errors.COORDINATOR_NOT_AVAILABLE, ""));
        }
        member.protocols = previous;
        return updateAndAwaitJoin(group, member, r);
    }

    /**
     * The answer to a static member that rejoined a stable group without a rebalance. A leader that
     * can skip the assignment (JoinGroup v9+, KIP-814) is named leader, gets the members and is told
     * to skip it. Older clients cannot be told that (the field cannot be written before v9), and,
     * named leader, would run an assignment the stable group ignores. So, as Kafka, they are answered
     * with the leader as it was before the rejoin (for the leader itself, its old member id) and no
     * members: the client goes on as a follower and syncs its current assignment, while inside the
     * group its new id is the leader.
     */
    private JoinResult stableRejoinAnswer(Group group, String memberId, String previousLeader, boolean canSkipAssignment) {
        if (!canSkipAssignment) {
            return new JoinResult(Errors.NONE, group.generationId, group.protocolType, group.protocolName,
                    previousLeader, memberId, List.of(), false);
        }
        boolean leader = memberId.equals(group.leaderId);
        return new JoinResult(Errors.NONE, group.generationId, group.protocolType, group.protocolName,
                group.leaderId, memberId, leader ? joinedMembers(group) : List.of(), leader);
    }

    private CompletableFuture<JoinResult> addMember(Group group, String memberId, JoinRequest r) {
        Member member = new Member(memberId, r);
        if (group.members.isEmpty()) {
            group.protocolType = r.protocolType();
        }
        group.members.put(memberId, member);
        if (r.instanceId() != null) {
            group.staticMembers.put(r.instanceId(), memberId);
        }
        if (group.state == State.PREPARING_REBALANCE) {
            group.newMemberDuringInitialDelay = true;
        }
        CompletableFuture<JoinResult> f = new CompletableFuture<>();
        member.awaitingJoin = f;
        scheduleHeartbeat(group, member);
        if (group.state == State.PREPARING_REBALANCE) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, "member " + memberId + " joined");
        }
        return f;
    }

    private CompletableFuture<JoinResult> joinKnown(Group group, JoinRequest r) {
        String memberId = r.memberId();
        if (group.pendingMembers.remove(memberId)) {
            return addMember(group, memberId, r);
        }
        if (fenced(group, memberId, r.instanceId())) {
            return done(JoinResult.error(Errors.FENCED_INSTANCE_ID, memberId));
        }
        Member member = group.members.get(memberId);
        if (member == null) {
            return done(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
        switch (group.state) {
            case PREPARING_REBALANCE:
                return updateAndAwaitJoin(group, member, r);
            case COMPLETING_REBALANCE:
                if (member.sameProtocols(r.protocols())) {
                    // A retried join of the current generation: answer it again.
                    scheduleHeartbeat(group, member);
                    return done(joinResult(group, member));
                }
                return updateAndAwaitJoin(group, member, r);
            case STABLE:
                if (memberId.equals(group.leaderId) || !member.sameProtocols(r.protocols())) {
                    return updateAndAwaitJoin(group, member, r);
                }
                scheduleHeartbeat(group, member);
                return done(joinResult(group, member));
            default:
                return done(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
    }

    private CompletableFuture<JoinResult> updateAndAwaitJoin(Group group, Member member, JoinRequest r) {
        member.update(r);
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, member.memberId));
        }
        CompletableFuture<JoinResult> f = new CompletableFuture<>();
        member.awaitingJoin = f;
        scheduleHeartbeat(group, member);
        if (group.state == State.PREPARING_REBALANCE) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, "member " + member.memberId + " rejoined");
        }
        return f;
    }

    private void prepareRebalance(Group group, String reason) {
        if (group.state == State.COMPLETING_REBALANCE) {
            for (Member m : group.members.values()) {
                m.assignment = new byte[0];
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                    m.awaitingSync = null;
                }
            }
        }
        boolean initial = group.state == State.EMPTY && initialRebalanceDelayMs > 0;
        group.state = State.PREPARING_REBALANCE;
        log.info("Group {} preparing to rebalance (generation {}): {}", group.groupId, group.generationId, reason);
        if (initial) {
            // Kafka's initial delay: wait for more members before the first generation, up to the rebalance timeout.
            group.newMemberDuringInitialDelay = false;
            group.initialDelayRemainingMs = Math.max(0, group.rebalanceTimeoutMs() - initialRebalanceDelayMs);
            setGroupTimer(group, Math.min(initialRebalanceDelayMs, group.rebalanceTimeoutMs()), TimerKind.INITIAL_DELAY,
                    this::initialDelayExpired);
            return;
        }
        setGroupTimer(group, group.rebalanceTimeoutMs(), TimerKind.OTHER, this::rebalanceTimedOut);
        tryCompleteJoin(group);
    }

    private void initialDelayExpired(Group group) {
        if (group.newMemberDuringInitialDelay && group.initialDelayRemainingMs > 0) {
            long delay = Math.min(initialRebalanceDelayMs, group.initialDelayRemainingMs);
            group.initialDelayRemainingMs -= delay;
            group.newMemberDuringInitialDelay = false;
            setGroupTimer(group, delay, TimerKind.INITIAL_DELAY, this::initialDelayExpired);
            return;
        }
        completeJoin(group);
    }

    private void rebalanceTimedOut(Group group) {
        completeJoin(group);
    }

    private void tryCompleteJoin(Group group) {
        if (group.state == State.PREPARING_REBALANCE && group.allJoined() && !initialDelayRunning(group)) {
            completeJoin(group);
        }
    }

    private boolean initialDelayRunning(Group group) {
        return group.currentTimer == TimerKind.INITIAL_DELAY;
    }

    /** Ends the join phase: members that did not rejoin are removed, and the next generation begins. */
    private void completeJoin(Group group) {
        if (group.state != State.PREPARING_REBALANCE) {
            return;
        }
        for (Member m : List.copyOf(group.members.values())) {
            if (m.awaitingJoin == null) {
                log.info("Removing member {} of group {}: it did not rejoin within the rebalance timeout",
                        m.memberId, group.groupId);
                removeMember(group, m);
            }
        }
        group.pendingMembers.clear();
        group.generationId++;
        if (group.members.isEmpty()) {
            group.state = State.EMPTY;
            group.emptySince = System.currentTimeMillis();
            group.protocolName = null;
            group.leaderId = null;
            cancelGroupTimer(group);
            saver.save(group.groupId, encode(group));
            log.info("Group {} is empty at generation {}", group.groupId, group.generationId);
            return;
        }
        group.protocolName = selectProtocol(group);
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.state = State.COMPLETING_REBALANCE;
        log.info("Group {} generation {}: {} members, protocol {}, leader {}", group.groupId, group.generationId,
                group.members.size(), group.protocolName, group.leaderId);
        for (Member m : group.members.values()) {
            CompletableFuture<JoinResult> f = m.awaitingJoin;
            m.awaitingJoin = null;
            scheduleHeartbeat(group, m);
            f.complete(joinResult(group, m));
        }
        int generation = group.generationId;
        setGroupTimer(group, group.rebalanceTimeoutMs(), TimerKind.OTHER, g -> syncTimedOut(g, generation));
    }

    /** The leader did not send its assignment in time: members that did not sync are removed, the rest rebalance. */
    private void syncTimedOut(Group group, int generation) {
        if (group.state != State.COMPLETING_REBALANCE || group.generationId != generation) {
            return;
        }
        for (Member m : List.copyOf(group.members.values())) {
            if (m.awaitingSync == null) {
                removeMember(group, m);
            }
        }
        prepareRebalance(group, "not every member synced within the rebalance timeout");
    }

    private static String selectProtocol(Group group) {
        Set<String> candidates = candidates(group, null);
        Map<String, Integer> votes = new TreeMap<>();
        String first = null;
        for (Member m : group.members.values()) {
            for (Protocol p : m.protocols) {
                if (candidates.contains(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    if (first == null) {
                        first = p.name();
                    }
                    break;
                }
            }
        }
        String best = first;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (e.getValue() > votes.getOrDefault(best, 0)) {
                best = e.getKey();
            }
        }
        return best;
    }

    private JoinResult joinResult(Group group, Member m) {
        boolean leader = m.memberId.equals(group.leaderId);
        return new JoinResult(Errors.NONE, group.generationId, group.protocolType, group.protocolName, group.leaderId,
                m.memberId, leader ? joinedMembers(group) : List.of(), false);
    }

    private static List<JoinedMember> joinedMembers(Group group) {
        List<JoinedMember> out = new ArrayList<>();
        for (Member m : group.members.values()) {
            out.add(new JoinedMember(m.memberId, m.instanceId, m.metadata(group.protocolName)));
        }
        return out;
    }

    // ---------------------------------------------------------------- SyncGroup

    synchronized CompletableFuture<SyncResult> sync(String groupId, int generationId, String memberId, String instanceId,
                                                    String protocolType, String protocolName,
                                                    Map<String, byte[]> assignments) {
        Group group = groups.get(groupId);
        if (group == null || group.state == State.DEAD) {
            return done(SyncResult.error(group == null ? Errors.UNKNOWN_MEMBER_ID : Errors.COORDINATOR_NOT_AVAILABLE));
        }
        if (fenced(group, memberId, instanceId)) {
            return done(SyncResult.error(Errors.FENCED_INSTANCE_ID));
        }
        Member member = group.members.get(memberId);
        if (member == null) {
            return done(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
        if (generationId != group.generationId) {
            return done(SyncResult.error(Errors.ILLEGAL_GENERATION));
        }
        if ((protocolType != null && !protocolType.equals(group.protocolType))
                || (protocolName != null && !protocolName.equals(group.protocolName))) {
            return done(SyncResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL));
        }
        switch (group.state) {
            case PREPARING_REBALANCE:
                return done(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
            case COMPLETING_REBALANCE: {
                scheduleHeartbeat(group, member);
                CompletableFuture<SyncResult> f = new CompletableFuture<>();
                if (member.awaitingSync != null) {
                    member.awaitingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                }
                member.awaitingSync = f;
                if (memberId.equals(group.leaderId)) {
                    for (Member m : group.members.values()) {
                        m.assignment = assignments.getOrDefault(m.memberId, new byte[0]);
                    }
                    group.state = State.STABLE;
                    cancelGroupTimer(group);
                    log.info("Group {} stable at generation {}", group.groupId, group.generationId);
                    // As Kafka: members learn their assignment once the generation is durable.
                    CompletableFuture<Void> saved = saver.save(group.groupId, encode(group));
                    for (Member m : group.members.values()) {
                        if (m.awaitingSync != null) {
                            CompletableFuture<SyncResult> s = m.awaitingSync;
                            m.awaitingSync = null;
                            SyncResult result = new SyncResult(Errors.NONE, group.protocolType, group.protocolName,
                                    m.assignment);
                            saved.whenComplete((v, failure) -> s.complete(failure == null ? result
                                    : SyncResult.error(Errors.COORDINATOR_NOT_AVAILABLE)));
                        }
                    }
                }
                return f;
            }
            case STABLE:
                scheduleHeartbeat(group, member);
                return done(new SyncResult(Errors.NONE, group.protocolType, group.protocolName, member.assignment));
            default:
                return done(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
    }

    // ---------------------------------------------------------------- Heartbeat, LeaveGroup

    synchronized Errors heartbeat(String groupId, String memberId, String instanceId, int generationId) {
        Group group = groups.get(groupId);
        if (group == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (group.state == State.DEAD) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        if (fenced(group, memberId, instanceId)) {
            return Errors.FENCED_INSTANCE_ID;
        }
        Member member = group.members.get(memberId);
        if (member == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (generationId != group.generationId) {
            return Errors.ILLEGAL_GENERATION;
        }
        scheduleHeartbeat(group, member);
        return group.state == State.PREPARING_REBALANCE ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
    }

    /** Removes each member (by member id, or by instance id for static members); the error per member. */
    synchronized List<Errors> leave(String groupId, List<String[]> memberAndInstanceIds) {
        Group group = groups.get(groupId);
        List<Errors> out = new ArrayList<>();
        for (String[] ids : memberAndInstanceIds) {
            String memberId = ids[0];
            String instanceId = ids[1];
            if (group == null) {
                out.add(Errors.UNKNOWN_MEMBER_ID);
                continue;
            }
            if (instanceId != null) {
                String current = group.staticMembers.get(instanceId);
                if (current == null) {
                    out.add(Errors.UNKNOWN_MEMBER_ID);
                    continue;
                }
                if (memberId != null && !memberId.isEmpty() && !memberId.equals(current)) {
                    out.add(Errors.FENCED_INSTANCE_ID);
                    continue;
                }
                memberId = current;
            }
            if (group.pendingMembers.remove(memberId)) {
                out.add(Errors.NONE);
                tryCompleteJoin(group);
                continue;
            }
            Member m = group.members.get(memberId);
            if (m == null) {
                out.add(Errors.UNKNOWN_MEMBER_ID);
                continue;
            }
            log.info("Member {} left group {}", memberId, groupId);
            removeMemberAndRebalance(group, m, "member " + memberId + " left");
            out.add(Errors.NONE);
        }
        return out;
    }

    private void removeMember(Group group, Member m) {
        m.cancelHeartbeat.run();
        m.heartbeatEpoch++;
        group.members.remove(m.memberId);
        if (m.instanceId != null) {
            group.staticMembers.remove(m.instanceId, m.memberId);
        }
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, m.memberId));
            m.awaitingJoin = null;
        }
        if (m.awaitingSync != null) {
            m.awaitingSync.complete(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
            m.awaitingSync = null;
        }
        if (m.memberId.equals(group.leaderId)) {
            group.leaderId = group.members.isEmpty() ? null : group.members.keySet().iterator().next();
        }
    }

    private void removeMemberAndRebalance(Group group, Member m, String reason) {
        removeMember(group, m);
        switch (group.state) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(group, reason);
            case PREPARING_REBALANCE -> tryCompleteJoin(group);
            default -> {
            }
        }
    }

    // ---------------------------------------------------------------- timers

    private void scheduleHeartbeat(Group group, Member m) {
        m.cancelHeartbeat.run();
        long epoch = ++m.heartbeatEpoch;
        String groupId = group.groupId;
        String memberId = m.memberId;
        m.cancelHeartbeat = timer.schedule(m.sessionTimeoutMs, () -> expireSession(groupId, memberId, epoch));
    }

    /** The session of a member ran out without a heartbeat. Members parked in a join or sync are alive. */
    synchronized void expireSession(String groupId, String memberId, long epoch) {
        Group group = groups.get(groupId);
        Member m = group == null ? null : group.members.get(memberId);
        if (m == null || m.heartbeatEpoch != epoch) {
            return;
        }
        if (m.awaitingJoin != null || m.awaitingSync != null) {
            scheduleHeartbeat(group, m);
            return;
        }
        log.info("Member {} of group {} expired: no heartbeat within {} ms", memberId, groupId, m.sessionTimeoutMs);
        removeMemberAndRebalance(group, m, "member " + memberId + " session expired");
    }

    synchronized void expirePending(String groupId, String memberId) {
        Group group = groups.get(groupId);
        if (group != null && group.pendingMembers.remove(memberId)) {
            tryCompleteJoin(group);
        }
    }

    private enum TimerKind { NONE, INITIAL_DELAY, OTHER }

    private interface GroupTask {
        void run(Group group);
    }

    private void setGroupTimer(Group group, long delayMs, TimerKind kind, GroupTask task) {
        group.cancelTimer.run();
        long epoch = ++group.timerEpoch;
        group.currentTimer = kind;
        String groupId = group.groupId;
        group.cancelTimer = timer.schedule(delayMs, () -> {
            synchronized (this) {
                Group g = groups.get(groupId);
                if (g == group && g.timerEpoch == epoch) {
                    g.currentTimer = TimerKind.NONE;
                    task.run(g);
                }
            }
        });
    }

    private void cancelGroupTimer(Group group) {
        group.cancelTimer.run();
        group.timerEpoch++;
        group.currentTimer = TimerKind.NONE;
    }

    // ---------------------------------------------------------------- offsets and admin

    /**
     * Whether a member may commit offsets: simple commits (generation -1, no member id) only to groups
     * without members; members of the current generation otherwise. Creates an empty group for a
     * first simple commit.
     */
    synchronized Errors validateCommit(String groupId, String memberId, String instanceId, int generationId) {
        Group group = groups.get(groupId);
        boolean simple = generationId < 0 && (memberId == null || memberId.isEmpty());
        if (group == null) {
            if (simple) {
                groups.put(groupId, new Group(groupId));
                return Errors.NONE;
            }
            return Errors.ILLEGAL_GENERATION;
        }
        if (group.state == State.DEAD) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        if (simple) {
            return group.members.isEmpty() ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
        }
        if (fenced(group, memberId, instanceId)) {
            return Errors.FENCED_INSTANCE_ID;
        }
        Member member = group.members.get(memberId);
        if (member == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (generationId != group.generationId) {
            return Errors.ILLEGAL_GENERATION;
        }
        if (group.state == State.COMPLETING_REBALANCE) {
            return Errors.REBALANCE_IN_PROGRESS;
        }
        scheduleHeartbeat(group, member);
        return Errors.NONE;
    }

    /** Makes sure a group known only from its committed offsets (e.g. after a restart) is listed, as Empty. */
    synchronized void ensureGroup(String groupId) {
        groups.computeIfAbsent(groupId, Group::new);
    }

    synchronized Optional<GroupDescription> describe(String groupId) {
        Group group = groups.get(groupId);
        if (group == null) {
            return Optional.empty();
        }
        boolean stable = group.state == State.STABLE;
        List<MemberDescription> members = new ArrayList<>();
        for (Member m : group.members.values()) {
            members.add(new MemberDescription(m.memberId, m.instanceId, m.clientId, m.clientHost,
                    stable ? m.metadata(group.protocolName) : new byte[0], stable ? m.assignment : new byte[0]));
        }
        return Optional.of(new GroupDescription(groupId, group.state.kafkaName,
                group.protocolType == null ? "" : group.protocolType,
                stable && group.protocolName != null ? group.protocolName : "", members));
    }

    synchronized List<GroupListing> list() {
        List<GroupListing> out = new ArrayList<>();
        for (Group g : groups.values()) {
            if (g.state != State.DEAD) {
                out.add(new GroupListing(g.groupId, g.protocolType == null ? "" : g.protocolType, g.state.kafkaName));
            }
        }
        return out;
    }

    /** Deletes an empty group: NONE, GROUP_ID_NOT_FOUND, or NON_EMPTY_GROUP, once the deletion is durable. */
    synchronized CompletableFuture<Errors> delete(String groupId) {
        Group group = groups.get(groupId);
        if (group == null || group.state == State.DEAD) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
        }
        if (group.state != State.EMPTY) {
            return CompletableFuture.completedFuture(Errors.NON_EMPTY_GROUP);
        }
        group.state = State.DEAD;
        cancelGroupTimer(group);
        groups.remove(groupId);
        return saver.save(groupId, null).thenApply(v -> Errors.NONE);
    }

    /** Topics the group's consumers subscribe to (consumer protocol members only). */
    synchronized Set<String> subscribedTopics(String groupId) {
        Group group = groups.get(groupId);
        Set<String> out = new HashSet<>();
        if (group == null || !"consumer".equals(group.protocolType)) {
            return out;
        }
        for (Member m : group.members.values()) {
            String protocol = group.protocolName != null ? group.protocolName : m.protocols.get(0).name();
            try {
                out.addAll(org.apache.kafka.clients.consumer.internals.ConsumerProtocol
                        .deserializeSubscription(java.nio.ByteBuffer.wrap(m.metadata(protocol))).topics());
            } catch (RuntimeException e) {
                log.debug("Unreadable subscription of member {} of group {}", m.memberId, groupId);
            }
        }
        return out;
    }

    synchronized boolean exists(String groupId) {
        Group g = groups.get(groupId);
        return g != null && g.state != State.DEAD;
    }

    /**
     * How the group's offsets expire (Kafka's rules, KIP-211 and KIP-496): an empty group's from the
     * time it became empty; a stable consumer group's only for topics it no longer subscribes to; a
     * group used only for commits (no protocol) by commit time; others not at all.
     */
    synchronized OffsetExpiry.Rule expiryRule(String groupId) {
        Group g = groups.get(groupId);
        if (g == null || g.protocolType == null || g.protocolType.isEmpty()) {
            return OffsetExpiry.Rule.byCommitTime(Set.of());
        }
        if (g.state == State.EMPTY) {
            return OffsetExpiry.Rule.emptySince(g.emptySince);
        }
        if (g.state == State.STABLE && "consumer".equals(g.protocolType)) {
            return OffsetExpiry.Rule.byCommitTime(subscribedTopics(groupId));
        }
        return OffsetExpiry.Rule.NEVER;
    }

    // ---------------------------------------------------------------- durable state

    /** A stable or empty group's state, for the metadata log. */
    private static byte[] encode(Group g) {
        return GroupMetadataLog.encode(out -> {
            out.writeByte(g.state == State.STABLE ? 1 : 0);
            GroupMetadataLog.writeString(out, g.protocolType);
            out.writeInt(g.generationId);
            GroupMetadataLog.writeString(out, g.protocolName);
            GroupMetadataLog.writeString(out, g.leaderId);
            List<Member> members = g.state == State.STABLE ? List.copyOf(g.members.values()) : List.of();
            out.writeInt(members.size());
            for (Member m : members) {
                GroupMetadataLog.writeString(out, m.memberId);
                GroupMetadataLog.writeString(out, m.instanceId);
                GroupMetadataLog.writeString(out, m.clientId);
                GroupMetadataLog.writeString(out, m.clientHost);
                out.writeInt(m.sessionTimeoutMs);
                out.writeInt(m.rebalanceTimeoutMs);
                out.writeInt(m.protocols.size());
                for (Protocol p : m.protocols) {
                    GroupMetadataLog.writeString(out, p.name());
                    GroupMetadataLog.writeBytes(out, p.metadata());
                }
                GroupMetadataLog.writeBytes(out, m.assignment);
            }
            out.writeLong(g.emptySince);
        });
    }

    /** Puts back a group from the metadata log: stable with its members, who have a session to heartbeat in. */
    synchronized void restore(String groupId, byte[] state) {
        Group g = new Group(groupId);
        GroupMetadataLog.decode(state, in -> {
            boolean stable = in.readByte() == 1;
            g.protocolType = GroupMetadataLog.readString(in);
            g.generationId = in.readInt();
            g.protocolName = GroupMetadataLog.readString(in);
            g.leaderId = GroupMetadataLog.readString(in);
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String memberId = GroupMetadataLog.readString(in);
                String instanceId = GroupMetadataLog.readString(in);
                String clientId = GroupMetadataLog.readString(in);
                String clientHost = GroupMetadataLog.readString(in);
                int session = in.readInt();
                int rebalance = in.readInt();
                List<Protocol> protocols = new ArrayList<>();
                int np = in.readInt();
                for (int j = 0; j < np; j++) {
                    protocols.add(new Protocol(GroupMetadataLog.readString(in), GroupMetadataLog.readBytes(in)));
                }
                Member m = new Member(memberId, new JoinRequest(groupId, memberId, instanceId, g.protocolType,
                        protocols, session, rebalance, false, false, clientId, clientHost));
                m.assignment = GroupMetadataLog.readBytes(in);
                g.members.put(memberId, m);
                if (instanceId != null) {
                    g.staticMembers.put(instanceId, memberId);
                }
            }
            g.state = stable && !g.members.isEmpty() ? State.STABLE : State.EMPTY;
            g.emptySince = in.readLong();
        });
        if (g.state == State.EMPTY) {
            g.protocolName = null;
            g.leaderId = null;
        }
        groups.put(groupId, g);
        g.members.values().forEach(m -> scheduleHeartbeat(g, m));
    }

    private static boolean fenced(Group group, String memberId, String instanceId) {
        if (instanceId == null) {
            return false;
        }
        String current = group.staticMembers.get(instanceId);
        return current != null && !current.equals(memberId);
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
