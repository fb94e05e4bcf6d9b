package dev.weir.gateway.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.gateway.group.GroupCoordinator.JoinResult;
import dev.weir.gateway.group.GroupCoordinator.Protocol;
import dev.weir.gateway.group.GroupCoordinator.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/** The classic group state machine, driven without sockets and with a hand-cranked clock. */
class GroupCoordinatorTest {
    private static final int SESSION = 10_000;
    private static final int REBALANCE = 30_000;

    /** Timers that fire only when the test advances time. */
    static final class ManualTimer implements GroupTimer {
        private record Task(long due, Runnable run, boolean[] cancelled) {
        }

        private final List<Task> tasks = new ArrayList<>();
        long now;

        @Override
        public Runnable schedule(long delayMs, Runnable task) {
            boolean[] cancelled = {false};
            tasks.add(new Task(now + delayMs, task, cancelled));
            return () -> cancelled[0] = true;
        }

        void advance(long ms) {
            long until = now + ms;
            while (true) {
                Task next = tasks.stream().filter(t -> !t.cancelled()[0] && t.due() <= until)
                        .min((a, b) -> Long.compare(a.due(), b.due())).orElse(null);
                if (next == null) {
                    break;
                }
                tasks.remove(next);
                now = next.due();
                next.run().run();
            }
            now = until;
        }
    }

    private final ManualTimer timer = new ManualTimer();
    private final GroupCoordinator coordinator = new GroupCoordinator(timer, 0);

    private static GroupCoordinator.JoinRequest joinRequest(String group, String memberId, String protocol) {
        return new GroupCoordinator.JoinRequest(group, memberId, null, "consumer",
                List.of(new Protocol(protocol, protocol.getBytes())), SESSION, REBALANCE, true, true, "client", "/127.0.0.1");
    }

    /** The first join (v4+) hands out a member id; the second, with it, joins. */
    private CompletableFuture<JoinResult> join(String group, String protocol) {
        JoinResult first = coordinator.join(joinRequest(group, "", protocol)).join();
        assertEquals(Errors.MEMBER_ID_REQUIRED, first.error());
        return coordinator.join(joinRequest(group, first.memberId(), protocol));
    }

    private SyncResult syncAsLeader(String group, JoinResult joined, Map<String, byte[]> assignments) {
        return coordinator.sync(group, joined.generationId(), joined.memberId(), null, "consumer",
                joined.protocolName(), assignments).join();
    }

    @Test
    void aFirstJoinWithoutMemberIdGetsMemberIdRequiredWithAnId() {
        JoinResult r = coordinator.join(joinRequest("g", "", "range")).join();
        assertEquals(Errors.MEMBER_ID_REQUIRED, r.error());
        assertFalse(r.memberId().isEmpty());
        assertEquals("Empty", coordinator.describe("g").orElseThrow().state());
    }

    @Test
    void aSingleMemberBecomesLeaderAndGetsItsAssignment() {
        JoinResult joined = join("g", "range").join();
        assertEquals(Errors.NONE, joined.error());
        assertEquals(1, joined.generationId());
        assertEquals(joined.memberId(), joined.leaderId());
        assertEquals("range", joined.protocolName());
        assertEquals(1, joined.members().size());
        SyncResult sync = syncAsLeader("g", joined, Map.of(joined.memberId(), new byte[] {7}));
        assertEquals(Errors.NONE, sync.error());
        assertArrayEquals(new byte[] {7}, sync.assignment());
        assertEquals("Stable", coordinator.describe("g").orElseThrow().state());
        assertEquals(Errors.NONE, coordinator.heartbeat("g", joined.memberId(), null, 1));
    }

    @Test
    void aSecondMemberTriggersARebalanceAndFollowersWaitForTheLeadersSync() {
        JoinResult a = join("g", "range").join();
        syncAsLeader("g", a, Map.of(a.memberId(), new byte[] {1}));

        CompletableFuture<JoinResult> bJoin = join("g", "range");
        assertFalse(bJoin.isDone(), "the new member waits for the existing one to rejoin");
        assertEquals(Errors.REBALANCE_IN_PROGRESS, coordinator.heartbeat("g", a.memberId(), null, 1));

        JoinResult a2 = coordinator.join(joinRequest("g", a.memberId(), "range")).join();
        JoinResult b = bJoin.join();
        assertEquals(2, a2.generationId());
        assertEquals(2, b.generationId());
        assertEquals(a.memberId(), a2.leaderId(), "the leader stays the leader");
        assertEquals(2, a2.members().size());
        assertTrue(b.members().isEmpty(), "followers do not get the member list");

        CompletableFuture<SyncResult> bSync = coordinator.sync("g", 2, b.memberId(), null, "consumer", "range", Map.of());
        assertFalse(bSync.isDone(), "a follower waits for the leader's assignment");
        assertEquals(Errors.NONE, coordinator.heartbeat("g", b.memberId(), null, 2));
        syncAsLeader("g", a2, Map.of(a.memberId(), new byte[] {1}, b.memberId(), new byte[] {2}));
        assertArrayEquals(new byte[] {2}, bSync.join().assignment());
        assertEquals(Errors.ILLEGAL_GENERATION, coordinator.heartbeat("g", b.memberId(), null, 1));
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", "nobody", null, 2));
    }

    @Test
    void aLeavingMemberTriggersARebalanceOfTheRest() {
        JoinResult a = join("g", "range").join();
        syncAsLeader("g", a, Map.of());
        CompletableFuture<JoinResult> bJoin = join("g", "range");
        JoinResult a2 = coordinator.join(joinRequest("g", a.memberId(), "range")).join();
        JoinResult b = bJoin.join();
        syncAsLeader("g", a2, Map.of());
        coordinator.sync("g", 2, b.memberId(), null, null, null, Map.of()).join();

        assertEquals(List.of(Errors.NONE), coordinator.leave("g", List.<String[]>of(new String[] {a.memberId(), null})));
        assertEquals(Errors.REBALANCE_IN_PROGRESS, coordinator.heartbeat("g", b.memberId(), null, 2));
        JoinResult b3 = coordinator.join(joinRequest("g", b.memberId(), "range")).join();
        assertEquals(3, b3.generationId());
        assertEquals(b.memberId(), b3.leaderId(), "the remaining member becomes leader");
        assertEquals(List.of(Errors.UNKNOWN_MEMBER_ID),
                coordinator.leave("g", List.<String[]>of(new String[] {a.memberId(), null})));
    }

    @Test
    void aMemberWithoutHeartbeatsIsRemovedAfterItsSessionTimeout() {
        JoinResult a = join("g", "range").join();
        syncAsLeader("g", a, Map.of());
        timer.advance(SESSION - 1);
        assertEquals(Errors.NONE, coordinator.heartbeat("g", a.memberId(), null, 1));
        timer.advance(SESSION - 1);
        assertEquals(Errors.NONE, coordinator.heartbeat("g", a.memberId(), null, 1), "heartbeats keep it alive");
        timer.advance(SESSION);
        assertEquals("Empty", coordinator.describe("g").orElseThrow().state());
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", a.memberId(), null, 1));
    }

    @Test
    void aMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsRemoved() {
        JoinResult a = join("g", "range").join();
        syncAsLeader("g", a, Map.of());
        CompletableFuture<JoinResult> bJoin = join("g", "range");
        // a keeps heartbeating (told to rejoin) but never rejoins.
        for (int t = 0; t < REBALANCE; t += SESSION / 2) {
            coordinator.heartbeat("g", a.memberId(), null, 1);
            timer.advance(SESSION / 2);
        }
        JoinResult b = bJoin.join();
        assertEquals(Errors.NONE, b.error());
        assertEquals(b.memberId(), b.leaderId());
        assertEquals(1, b.members().size());
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", a.memberId(), null, 1));
    }

    @Test
    void aLeaderThatNeverSyncsDoesNotLeaveTheGroupStuck() {
        CompletableFuture<JoinResult> aJoin = join("g", "range");
        JoinResult a = aJoin.join();
        assertEquals("CompletingRebalance", coordinator.describe("g").orElseThrow().state());
        timer.advance(REBALANCE);
        assertNotEquals("CompletingRebalance", coordinator.describe("g").orElseThrow().state());
    }

    @Test
    void theProtocolIsOneEveryMemberSupports() {
        GroupCoordinator.JoinRequest both = new GroupCoordinator.JoinRequest("g", "", null, "consumer",
                List.of(new Protocol("range", new byte[0]), new Protocol("cooperative-sticky", new byte[0])),
                SESSION, REBALANCE, false, false, "c", "h");
        GroupCoordinator.JoinRequest stickyOnly = new GroupCoordinator.JoinRequest("g", "", null, "consumer",
                List.of(new Protocol("cooperative-sticky", new byte[0])), SESSION, REBALANCE, false, false, "c", "h");
        GroupCoordinator.JoinRequest other = new GroupCoordinator.JoinRequest("g", "", null, "consumer",
                List.of(new Protocol("roundrobin", new byte[0])), SESSION, REBALANCE, false, false, "c", "h");
        // Old-version joins (no member id required) join at once.
        JoinResult a = coordinator.join(both).join();
        assertEquals("range", a.protocolName(), "alone, the member's first choice");
        CompletableFuture<JoinResult> b = coordinator.join(stickyOnly);
        GroupCoordinator.JoinRequest bothAgain = new GroupCoordinator.JoinRequest("g", a.memberId(), null, "consumer",
                both.protocols(), SESSION, REBALANCE, false, false, "c", "h");
        assertEquals("cooperative-sticky", coordinator.join(bothAgain).join().protocolName());
        assertEquals("cooperative-sticky", b.join().protocolName());
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL, coordinator.join(other).join().error());
    }

    @Test
    void simpleCommitsAreAllowedOnlyForGroupsWithoutMembers() {
        assertEquals(Errors.NONE, coordinator.validateCommit("simple", "", null, -1));
        JoinResult a = join("g", "range").join();
        syncAsLeader("g", a, Map.of());
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.validateCommit("g", "", null, -1));
        assertEquals(Errors.NONE, coordinator.validateCommit("g", a.memberId(), null, 1));
        assertEquals(Errors.ILLEGAL_GENERATION, coordinator.validateCommit("g", a.memberId(), null, 0));
        assertEquals(Errors.NON_EMPTY_GROUP, coordinator.delete("g").join());
        assertEquals(Errors.NONE, coordinator.delete("simple").join());
        assertEquals(Errors.GROUP_ID_NOT_FOUND, coordinator.delete("simple").join());
    }

    @Test
    void theInitialDelayWaitsForMoreMembersBeforeTheFirstGeneration() {
        GroupCoordinator delayed = new GroupCoordinator(timer, 3000);
        JoinResult id = delayed.join(joinRequest("g", "", "range")).join();
        CompletableFuture<JoinResult> a = delayed.join(joinRequest("g", id.memberId(), "range"));
        assertFalse(a.isDone());
        timer.advance(2000);
        JoinResult id2 = delayed.join(joinRequest("g", "", "range")).join();
        CompletableFuture<JoinResult> b = delayed.join(joinRequest("g", id2.memberId(), "range"));
        timer.advance(1000);
        assertFalse(a.isDone(), "a new member extended the delay");
        timer.advance(3000);
        assertEquals(1, a.join().generationId());
        assertEquals(1, b.join().generationId());
        assertEquals(2, a.join().members().size() + b.join().members().size());
    }

    @Test
    void aStaticMemberRejoiningWithTheSameProtocolsKeepsItsAssignmentWithoutARebalance() {
        GroupCoordinator.JoinRequest first = new GroupCoordinator.JoinRequest("g", "", "instance-1", "consumer",
                List.of(new Protocol("range", new byte[] {1})), SESSION, REBALANCE, true, true, "c", "h");
        JoinResult a = coordinator.join(first).join();
        assertEquals(Errors.NONE, a.error(), "static members need no member id round trip");
        syncAsLeader("g", a, Map.of(a.memberId(), new byte[] {9}));

        JoinResult again = coordinator.join(first).join();
        assertEquals(Errors.NONE, again.error());
        assertEquals(1, again.generationId(), "no new generation");
        assertNotEquals(a.memberId(), again.memberId());
        assertEquals(Errors.FENCED_INSTANCE_ID, coordinator.heartbeat("g", a.memberId(), "instance-1", 1));
        SyncResult sync = coordinator.sync("g", 1, again.memberId(), "instance-1", null, null, Map.of()).join();
        assertArrayEquals(new byte[] {9}, sync.assignment());
    }

    private static GroupCoordinator.JoinRequest staticJoin(String instanceId, String memberId, boolean canSkipAssignment) {
        return new GroupCoordinator.JoinRequest("g", memberId, instanceId, "consumer",
                List.of(new Protocol("range", instanceId.getBytes())), SESSION, REBALANCE, false, canSkipAssignment,
                "c", "h");
    }

    /** Two static members, "leader" (joined first) and "follower", stable at generation 2; returns their joins. */
    private JoinResult[] twoStaticMembersStable(boolean canSkipAssignment) {
        JoinResult leader = coordinator.join(staticJoin("leader", "", canSkipAssignment)).join();
        syncAsLeader("g", leader, Map.of(leader.memberId(), new byte[] {1}));
        CompletableFuture<JoinResult> followerJoin = coordinator.join(staticJoin("follower", "", canSkipAssignment));
        JoinResult leader2 = coordinator.join(staticJoin("leader", leader.memberId(), canSkipAssignment)).join();
        JoinResult follower = followerJoin.join();
        assertEquals(2, leader2.generationId());
        assertEquals(leader.memberId(), leader2.leaderId());
        CompletableFuture<SyncResult> followerSync = coordinator.sync("g", 2, follower.memberId(), "follower", "consumer",
                "range", Map.of());
        syncAsLeader("g", leader2, Map.of(leader.memberId(), new byte[] {1}, follower.memberId(), new byte[] {2}));
        assertArrayEquals(new byte[] {2}, followerSync.join().assignment());
        return new JoinResult[] {leader2, follower};
    }

    @Test
    void aRestartedStaticLeaderBeforeJoinGroupV9IsAnsweredAsAFollowerAndKeepsItsAssignment() {
        JoinResult[] stable = twoStaticMembersStable(false);
        JoinResult oldLeader = stable[0];
        JoinResult follower = stable[1];

        // As Kafka: a client before v9 cannot skip the assignment, so it is not named the leader.
        JoinResult restarted = coordinator.join(staticJoin("leader", "", false)).join();
        assertEquals(Errors.NONE, restarted.error());
        assertEquals(2, restarted.generationId(), "the generation it left");
        assertNotEquals(oldLeader.memberId(), restarted.memberId(), "a new member id");
        assertEquals(oldLeader.memberId(), restarted.leaderId(), "the leader as it was before the rejoin, not itself");
        assertEquals(List.of(), restarted.members(), "no member list to assign from");
        assertFalse(restarted.skipAssignment());
        assertEquals("range", restarted.protocolName());
        assertEquals("Stable", coordinator.describe("g").orElseThrow().state(), "no rebalance");

        SyncResult sync = coordinator.sync("g", 2, restarted.memberId(), "leader", "consumer", "range", Map.of()).join();
        assertEquals(Errors.NONE, sync.error());
        assertArrayEquals(new byte[] {1}, sync.assignment(), "its partitions from before the restart");
        assertEquals(Errors.NONE, coordinator.heartbeat("g", follower.memberId(), "follower", 2), "the follower is undisturbed");
        assertEquals(Errors.FENCED_INSTANCE_ID, coordinator.heartbeat("g", oldLeader.memberId(), "leader", 2));
        JoinResult followerAgain = coordinator.join(staticJoin("follower", follower.memberId(), false)).join();
        assertEquals(restarted.memberId(), followerAgain.leaderId(), "inside the group it is the leader under its new id");
        assertEquals(2, followerAgain.generationId());
    }

    @Test
    void aRestartedStaticLeaderFromJoinGroupV9IsTheLeaderWithTheMembersAndSkipsTheAssignment() {
        JoinResult[] stable = twoStaticMembersStable(true);

        JoinResult restarted = coordinator.join(staticJoin("leader", "", true)).join();
        assertEquals(Errors.NONE, restarted.error());
        assertEquals(2, restarted.generationId());
        assertEquals(restarted.memberId(), restarted.leaderId());
        assertEquals(Set.of("leader", "follower"), restarted.members().stream().map(m -> m.instanceId())
                .collect(Collectors.toSet()), "every member, to assign from if it must");
        assertTrue(restarted.skipAssignment());
        assertEquals("Stable", coordinator.describe("g").orElseThrow().state(), "no rebalance");
        SyncResult sync = coordinator.sync("g", 2, restarted.memberId(), "leader", "consumer", "range", Map.of()).join();
        assertArrayEquals(new byte[] {1}, sync.assignment());
        assertEquals(Errors.NONE, coordinator.heartbeat("g", stable[1].memberId(), "follower", 2));
    }
}
