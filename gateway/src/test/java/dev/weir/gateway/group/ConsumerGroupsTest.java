package dev.weir.gateway.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.group.ConsumerGroups.Heartbeat;
import dev.weir.gateway.group.ConsumerGroups.HeartbeatResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/** The KIP-848 group state machine, driven without sockets and with a hand-cranked clock. */
class ConsumerGroupsTest {
    private static final int SESSION = 45_000;
    private static final int REBALANCE = 30_000;
    private static final TopicMeta TOPIC = new TopicMeta("t", Uuid.randomUuid(), 6, Map.of());

    private final GroupCoordinatorTest.ManualTimer timer = new GroupCoordinatorTest.ManualTimer();
    private final GroupCoordinator classic = new GroupCoordinator(timer, 0);
    private final Map<String, TopicMeta> topics = new HashMap<>(Map.of("t", TOPIC));
    private final List<String> saved = new ArrayList<>();
    /** When set, saves stay pending (as if being written) until the test completes them. */
    private boolean holdSaves;
    private final List<java.util.concurrent.CompletableFuture<Void>> heldSaves = new ArrayList<>();
    private final ConsumerGroups groups = new ConsumerGroups(classic, timer, n -> Optional.ofNullable(topics.get(n)),
            topics::values, List.of("uniform", "range"), SESSION, 500, (id, g) -> {
                saved.add(id);
                if (g != null) {
                    ConsumerGroups.Group copy = ConsumerGroups.decode(id, ConsumerGroups.encode(g));
                    assertEquals(g.members.keySet(), copy.members.keySet(), "a saved group reads back the same");
                    g.members.forEach((memberId, m) -> assertEquals(m.assignmentEpochs,
                            copy.members.get(memberId).assignmentEpochs, "and so do its assignment epochs"));
                }
                if (holdSaves) {
                    java.util.concurrent.CompletableFuture<Void> pending = new java.util.concurrent.CompletableFuture<>();
                    heldSaves.add(pending);
                    return pending;
                }
                if (holdSaves) {
                    java.util.concurrent.CompletableFuture<Void> pending = new java.util.concurrent.CompletableFuture<>();
                    heldSaves.add(pending);
                    return pending;
                }
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            });

    private HeartbeatResult join(String member) {
        return beat(new Heartbeat("g", member, 0, null, null, REBALANCE, List.of("t"), null, null, Map.of(), "c", "h",
                (short) 1));
    }

    /** A steady heartbeat reporting what the member owns. */
    private HeartbeatResult beat(String member, int epoch, Map<Uuid, Set<Integer>> owned) {
        return beat(new Heartbeat("g", member, epoch, null, null, -1, null, null, null, owned, "c", "h", (short) 1));
    }

    private HeartbeatResult beat(Heartbeat h) {
        return groups.heartbeat(h).join();
    }

    private static Set<Integer> partitions(HeartbeatResult r) {
        return r.assignment() == null ? null : r.assignment().getOrDefault(TOPIC.id(), Set.of());
    }

    @Test
    void aGroupsOwnHeartbeatIntervalIsWhatItsMembersAreTold() {
        ConsumerGroups perGroup = new ConsumerGroups(new GroupCoordinator(timer, 0), timer,
                n -> Optional.ofNullable(topics.get(n)), topics::values, List.of("uniform"),
                groupId -> SESSION, groupId -> groupId.equals("g") ? 7000 : 500,
                (id, g) -> java.util.concurrent.CompletableFuture.completedFuture(null));
        HeartbeatResult r = perGroup.heartbeat(new Heartbeat("g", "a", 0, null, null, REBALANCE, List.of("t"), null, null,
                Map.of(), "c", "h", (short) 1)).join();
        assertEquals(7000, r.heartbeatIntervalMs());
        HeartbeatResult other = perGroup.heartbeat(new Heartbeat("other", "b", 0, null, null, REBALANCE, List.of("t"),
                null, null, Map.of(), "c", "h", (short) 1)).join();
        assertEquals(500, other.heartbeatIntervalMs());
    }

    @Test
    void aFirstMemberGetsEveryPartitionAtEpochOne() {
        HeartbeatResult r = join("a");
        assertEquals(Errors.NONE, r.error());
        assertEquals(1, r.memberEpoch());
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), partitions(r));
        assertEquals("Stable", groups.describe("g").orElseThrow().state());
        assertEquals(List.of("g"), saved);
    }

    @Test
    void aPartitionMovesOnlyAfterItsOwnerRevokedIt() {
        HeartbeatResult a = join("a");
        HeartbeatResult b = join("b");
        assertEquals(2, b.memberEpoch());
        assertEquals(Set.of(), partitions(b), "b waits: a still owns everything");
        assertEquals("Reconciling", groups.describe("g").orElseThrow().state());

        HeartbeatResult a2 = beat("a", a.memberEpoch(), Map.of(TOPIC.id(), Set.of(0, 1, 2, 3, 4, 5)));
        assertEquals(1, a2.memberEpoch(), "revocation happens at the old epoch");
        Set<Integer> kept = partitions(a2);
        assertEquals(3, kept.size());

        HeartbeatResult b2 = beat("b", 2, Map.of());
        assertEquals(Set.of(), partitions(b2) == null ? Set.of() : partitions(b2), "still unreleased");

        HeartbeatResult a3 = beat("a", 1, Map.of(TOPIC.id(), kept));
        assertEquals(2, a3.memberEpoch(), "a reaches the new epoch once it let go");
        HeartbeatResult b3 = beat("b", 2, Map.of());
        Set<Integer> bParts = partitions(b3);
        assertEquals(3, bParts.size());
        Set<Integer> all = new TreeSet<>(kept);
        all.addAll(bParts);
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), all);
        assertEquals("Stable", groups.describe("g").orElseThrow().state());
    }

    @Test
    void aWrongEpochIsFencedAndAnUnknownMemberRejected() {
        join("a");
        assertEquals(Errors.FENCED_MEMBER_EPOCH, beat("a", 7, Map.of()).error());
        assertEquals(Errors.UNKNOWN_MEMBER_ID, beat("zz", 1, Map.of()).error());
    }

    @Test
    void aMemberThatStopsHeartbeatingIsRemovedAndItsPartitionsReassigned() {
        join("a");
        HeartbeatResult b = join("b");
        timer.advance(SESSION - 1);
        beat("b", b.memberEpoch(), Map.of());
        timer.advance(2);
        assertEquals(Set.of("b"), Set.copyOf(groups.describe("g").orElseThrow().members().stream()
                .map(ConsumerGroups.MemberDescription::memberId).toList()));
        HeartbeatResult b2 = beat("b", b.memberEpoch(), Map.of());
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), partitions(b2));
    }

    @Test
    void aMemberThatDoesNotRevokeInTimeIsFenced() {
        HeartbeatResult a = join("a");
        join("b");
        beat("a", a.memberEpoch(), Map.of(TOPIC.id(), Set.of(0, 1, 2, 3, 4, 5)));
        timer.advance(REBALANCE + 1);
        assertEquals(Errors.UNKNOWN_MEMBER_ID, beat("a", 1, Map.of()).error());
    }

    @Test
    void aStaticMemberComingBackUnderANewIdKeepsItsPartitionsAndEpoch() {
        HeartbeatResult a = beat(new Heartbeat("g", "a", 0, "inst", null, REBALANCE, List.of("t"), null, null, Map.of(),
                "c", "h", (short) 1));
        assertEquals(Errors.UNRELEASED_INSTANCE_ID, beat(new Heartbeat("g", "a2", 0, "inst", null, REBALANCE,
                List.of("t"), null, null, Map.of(), "c", "h", (short) 1)).error());
        HeartbeatResult left = beat(new Heartbeat("g", "a", -2, "inst", null, -1, null, null, null, null, "c", "h",
                (short) 1));
        assertEquals(-2, left.memberEpoch());
        HeartbeatResult back = beat(new Heartbeat("g", "a2", 0, "inst", null, REBALANCE, List.of("t"), null, null,
                Map.of(), "c", "h", (short) 1));
        assertEquals(a.memberEpoch(), back.memberEpoch(), "no new epoch: no rebalance");
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), partitions(back));
    }

    /** What a crash may not forget: no answer goes out before the group state it reflects is written. */
    @Test
    void aHeartbeatThatChangesNothingIsAnsweredOnlyOnceTheGroupsLatestSaveIsWritten() {
        HeartbeatResult a = join("a");
        HeartbeatResult s = beat(new Heartbeat("g", "s", 0, "inst", null, REBALANCE, List.of("t"), null, null,
                Map.of(), "c", "h", (short) 1));
        Set<Integer> kept = partitions(beat("a", a.memberEpoch(), Map.of(TOPIC.id(), Set.of(0, 1, 2, 3, 4, 5))));
        int epoch = beat("a", a.memberEpoch(), Map.of(TOPIC.id(), kept)).memberEpoch();
        beat("s", s.memberEpoch(), Map.of());
        Map<Uuid, Set<Integer>> owned = Map.of(TOPIC.id(), kept);
        assertEquals(epoch, beat("a", epoch, owned).memberEpoch(), "a is steady");

        holdSaves = true;
        var left = groups.heartbeat(new Heartbeat("g", "s", -2, "inst", null, -1, null, null, null, null, "c", "h",
                (short) 1));
        assertEquals(1, heldSaves.size());
        var steady = groups.heartbeat(new Heartbeat("g", "a", epoch, null, null, -1, null, null, null, owned, "c", "h",
                (short) 1));
        assertEquals(1, heldSaves.size(), "a's heartbeat changes nothing");
        assertTrue(!left.isDone() && !steady.isDone(), "both wait while the static member's leave is written");
        heldSaves.get(0).complete(null);
        assertEquals(Errors.NONE, left.join().error());
        assertEquals(Errors.NONE, steady.join().error());

        // The static member back under a new id takes the old one's place without a rebalance, but
        // that is saved too (else a crash would forget its new id); here the save fails, and the next
        // heartbeat, though it changes nothing, writes the group again.
        heldSaves.clear();
        var back = groups.heartbeat(new Heartbeat("g", "s2", 0, "inst", null, REBALANCE, List.of("t"), null, null,
                Map.of(), "c", "h", (short) 1));
        assertEquals(1, heldSaves.size(), "the take-over is saved");
        heldSaves.get(0).completeExceptionally(new java.io.IOException("disk full"));
        assertTrue(back.isCompletedExceptionally(), "an answer whose save failed is not sent as a success");
        heldSaves.clear();
        var again = groups.heartbeat(new Heartbeat("g", "a", epoch, null, null, -1, null, null, null, owned, "c", "h",
                (short) 1));
        assertEquals(1, heldSaves.size(), "the group is saved again");
        assertTrue(!again.isDone());
        heldSaves.get(0).complete(null);
        assertEquals(Errors.NONE, again.join().error());
    }

    @Test
    void leavingBumpsTheEpochAndTheOthersTakeOver() {
        join("a");
        HeartbeatResult b = join("b");
        HeartbeatResult gone = beat(new Heartbeat("g", "a", -1, null, null, -1, null, null, null, null, "c", "h",
                (short) 1));
        assertEquals(-1, gone.memberEpoch());
        HeartbeatResult b2 = beat("b", b.memberEpoch(), Map.of());
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), partitions(b2));
        assertEquals(3, b2.memberEpoch());
    }

    @Test
    void newPartitionsOfASubscribedTopicAreAssigned() {
        HeartbeatResult a = join("a");
        topics.put("t", new TopicMeta("t", TOPIC.id(), 8, Map.of()));
        HeartbeatResult a2 = beat("a", a.memberEpoch(), Map.of(TOPIC.id(), Set.of(0, 1, 2, 3, 4, 5)));
        assertEquals(2, a2.memberEpoch());
        assertEquals(8, partitions(a2).size());
    }

    @Test
    void requestsBreakingTheProtocolAreRejected() {
        assertEquals(Errors.INVALID_REQUEST, beat(new Heartbeat("g", "", 0, null, null, REBALANCE, List.of("t"), null,
                null, Map.of(), "c", "h", (short) 1)).error());
        assertEquals(Errors.INVALID_REQUEST, beat(new Heartbeat("g", "a", 0, null, null, -1, List.of("t"), null,
                null, Map.of(), "c", "h", (short) 1)).error());
        assertEquals(Errors.UNSUPPORTED_ASSIGNOR, beat(new Heartbeat("g", "a", 0, null, null, REBALANCE, List.of("t"),
                null, "sticky", Map.of(), "c", "h", (short) 1)).error());
        assertEquals(Errors.INVALID_REGULAR_EXPRESSION, beat(new Heartbeat("g", "a", 0, null, null, REBALANCE, null,
                "(", null, Map.of(), "c", "h", (short) 1)).error());
        assertNull(groups.describe("g").orElse(null));
    }

    @Test
    void aRegexSubscriptionFollowsTheTopicsThatMatch() {
        HeartbeatResult a = beat(new Heartbeat("g", "a", 0, null, null, REBALANCE, null, "t.*", null, Map.of(), "c",
                "h", (short) 1));
        assertEquals(6, partitions(a).size());
        TopicMeta other = new TopicMeta("t2", Uuid.randomUuid(), 2, Map.of());
        topics.put("t2", other);
        HeartbeatResult a2 = beat("a", a.memberEpoch(), Map.of(TOPIC.id(), Set.of(0, 1, 2, 3, 4, 5)));
        assertEquals(2, a2.assignment().get(other.id()).size());
    }

    /** KIP-1251, as Kafka 4.4: what an older member epoch may still commit. */
    @Test
    void anOlderMemberEpochCommitsOnlyThePartitionsHeldSinceThen() {
        HeartbeatResult a = join("a");
        join("b");
        Set<Integer> kept = partitions(beat("a", a.memberEpoch(), Map.of(TOPIC.id(), Set.of(0, 1, 2, 3, 4, 5))));
        int now = beat("a", a.memberEpoch(), Map.of(TOPIC.id(), kept)).memberEpoch();
        assertTrue(now > a.memberEpoch());
        Set<Integer> given = new TreeSet<>(Set.of(0, 1, 2, 3, 4, 5));
        given.removeAll(kept);
        assertEquals(Optional.of(Errors.NONE), groups.validateOffsets("g", "a", a.memberEpoch(), false,
                Map.of(TOPIC.id(), kept)), "held since the older epoch");
        assertEquals(Optional.of(Errors.STALE_MEMBER_EPOCH), groups.validateOffsets("g", "a", a.memberEpoch(), false,
                Map.of(TOPIC.id(), given)), "given up since");
        assertEquals(Optional.of(Errors.NONE), groups.validateOffsets("g", "a", now, false,
                Map.of(TOPIC.id(), given)), "the current epoch commits anything, as in Kafka");
        assertEquals(Optional.of(Errors.STALE_MEMBER_EPOCH), groups.validateOffsets("g", "a", now + 1, false,
                Map.of(TOPIC.id(), kept)), "a newer epoch");
        assertEquals(Optional.of(Errors.STALE_MEMBER_EPOCH), groups.validateOffsets("g", "a", a.memberEpoch(), true),
                "an offset fetch needs the current epoch");
    }

    @Test
    void offsetsOfAConsumerGroupNeedTheCurrentMemberEpoch() {
        HeartbeatResult a = join("a");
        assertEquals(Optional.of(Errors.NONE), groups.validateOffsets("g", "a", a.memberEpoch(), false));
        assertEquals(Optional.of(Errors.STALE_MEMBER_EPOCH), groups.validateOffsets("g", "a", 0, false));
        assertEquals(Optional.of(Errors.UNKNOWN_MEMBER_ID), groups.validateOffsets("g", "", -1, false),
                "no commits from outside while the group has members");
        assertEquals(Optional.empty(), groups.validateOffsets("other", "", -1, false));
    }

    @Test
    void uniformAssignmentIsBalancedAndSticky() {
        ServerAssignor uniform = ServerAssignor.named("uniform");
        Uuid t = Uuid.randomUuid();
        var first = uniform.assign(List.of(sub("a", t, Map.of()), sub("b", t, Map.of())), Map.of(t, 7),
                java.util.Comparator.naturalOrder());
        assertEquals(7, first.get("a").get(t).size() + first.get("b").get(t).size());
        assertTrue(Math.abs(first.get("a").get(t).size() - first.get("b").get(t).size()) <= 1);
        var second = uniform.assign(List.of(sub("a", t, first.get("a")), sub("b", t, first.get("b")),
                sub("c", t, Map.of())), Map.of(t, 7), java.util.Comparator.naturalOrder());
        assertTrue(first.get("a").get(t).containsAll(second.get("a").get(t)), "a keeps a subset of what it had");
        assertTrue(first.get("b").get(t).containsAll(second.get("b").get(t)), "b keeps a subset of what it had");
        assertEquals(2, second.get("c").get(t).size());
    }

    @Test
    void rangeAssignmentGivesContiguousRanges() {
        ServerAssignor range = ServerAssignor.named("range");
        Uuid t = Uuid.randomUuid();
        var out = range.assign(List.of(sub("b", t, Map.of()), sub("a", t, Map.of())), Map.of(t, 5),
                java.util.Comparator.naturalOrder());
        assertEquals(Set.of(0, 1, 2), out.get("a").get(t));
        assertEquals(Set.of(3, 4), out.get("b").get(t));
    }

    private static ServerAssignor.Subscriber sub(String id, Uuid topic, Map<Uuid, Set<Integer>> previous) {
        return new ServerAssignor.Subscriber(id, Set.of(topic), previous);
    }
}
