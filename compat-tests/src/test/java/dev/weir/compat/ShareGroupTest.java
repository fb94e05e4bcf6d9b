package dev.weir.compat;

import static dev.weir.compat.ShareGroups.DELIVERY_LIMIT;
import static dev.weir.compat.ShareGroups.LOCK_MS;
import static dev.weir.compat.ShareGroups.id;
import static dev.weir.compat.ShareGroups.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Share groups (KIP-932) with kafka-clients 4.4's KafkaShareConsumer and Admin, Kafka's
 * kafka-share-groups tool and raw requests: records shared out, acknowledged, released, rejected,
 * timed out and archived at the delivery-count limit, as on Apache Kafka 4.4.
 */
class ShareGroupTest {
    private static final String SHARE_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ShareGroupCommand";
    /** How long the tests watch for a record that must not come again: over two lock durations. */
    private static final Duration QUIET = Duration.ofMillis(2L * LOCK_MS + 1000);

    @RegisterExtension
    static final Brokers brokers = Brokers.dedicated("share", ShareGroups.BROKER_SETTINGS);

    static Stream<Target> targets() {
        return Target.selected();
    }

    /** Polls until {@code done} holds, handing every record to {@code onRecord}, then commits acknowledgements. */
    private static void pollUntil(KafkaShareConsumer<String, String> consumer, String what,
                                  java.util.function.Consumer<ConsumerRecord<String, String>> onRecord,
                                  java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            var records = consumer.poll(poll());
            records.forEach(onRecord);
            if (!records.isEmpty()) {
                consumer.commitSync();
            }
        }
    }

    /** Polls for {@link #QUIET} and returns whatever came (accepting it). */
    private static List<ConsumerRecord<String, String>> pollQuietly(KafkaShareConsumer<String, String> consumer, boolean explicit) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        long end = System.nanoTime() + QUIET.toNanos();
        while (System.nanoTime() - end < 0) {
            var records = consumer.poll(poll());
            for (var r : records) {
                got.add(r);
                if (explicit) {
                    consumer.acknowledge(r, AcknowledgeType.ACCEPT);
                }
            }
            if (!records.isEmpty()) {
                consumer.commitSync();
            }
        }
        return got;
    }

    private static Map<TopicPartition, SharePartitionOffsetInfo> shareOffsets(Admin admin, String group) {
        return Clients.get(admin.listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
                .partitionsToOffsetInfo(group));
    }

    /**
     * Waits until listShareGroupOffsets reports {@code expectedLag} for every partition (and nothing
     * else). Kafka 4.4 reports the lag exactly but a start offset that may stay behind acknowledged
     * records (0 with lag 0 after all of 0..9 were accepted), so only the lag is compared and the
     * start offset is held to {@code [0, end - lag]}.
     */
    private static Map<TopicPartition, SharePartitionOffsetInfo> awaitLags(Broker broker, String group,
                                                                           Map<TopicPartition, Long> expectedLag) {
        try (Admin admin = Clients.admin(broker)) {
            Map<TopicPartition, SharePartitionOffsetInfo> last = new HashMap<>();
            try {
                Await.until(Clients.TIMEOUT, "share group " + group + " lags are " + expectedLag, () -> {
                    Map<TopicPartition, Long> lags = new HashMap<>();
                    last.clear();
                    shareOffsets(admin, group).forEach((tp, info) -> {
                        if (info != null) {
                            last.put(tp, info);
                            lags.put(tp, info.lag().orElse(-1L));
                        }
                    });
                    return lags.equals(expectedLag);
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last listShareGroupOffsets: " + last, e);
            }
            System.out.println("[share-offsets] " + broker.target() + " " + group + ": " + last);
            return Map.copyOf(last);
        }
    }

    private static void awaitStartOffsets(Broker broker, String group, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> zeroLag = new HashMap<>();
        end.keySet().forEach(tp -> zeroLag.put(tp, 0L));
        awaitLags(broker, group, zeroLag).forEach((tp, info) -> assertTrue(
                info.startOffset() >= 0 && info.startOffset() <= end.get(tp), tp + ": " + info));
    }

    private static Map<TopicPartition, Long> offsets(String topic, int partitions, long offset) {
        Map<TopicPartition, Long> m = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            m.put(new TopicPartition(topic, p), offset);
        }
        return m;
    }

    // 1
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void threeConsumersShareAFourPartitionTopicAndEveryRecordIsDeliveredOnce(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-three");
        String group = Clients.uniqueTopic("share-three-g");
        Clients.createTopics(broker, Clients.topic(topic, 4));
        ShareGroups.startAtEarliest(broker, group);
        List<String> values = ShareGroups.produce(broker, topic, 4, "v", 300);

        Map<String, List<String>> deliveredTo = new TreeMap<>();
        Map<String, Short> deliveryCounts = new HashMap<>();
        List<KafkaShareConsumer<String, String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "explicit");
                c.subscribe(List.of(topic));
                consumers.add(c);
            }
            long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
            while (!deliveredTo.keySet().containsAll(values)) {
                assertTrue(System.nanoTime() - deadline < 0, "timed out: delivered " + deliveredTo.size() + " of 300");
                for (int i = 0; i < consumers.size(); i++) {
                    var c = consumers.get(i);
                    var records = c.poll(Duration.ofMillis(100));
                    for (var r : records) {
                        deliveredTo.computeIfAbsent(r.value(), v -> new ArrayList<>()).add("c" + i);
                        deliveryCounts.put(r.value(), r.deliveryCount().orElse((short) -1));
                        c.acknowledge(r, AcknowledgeType.ACCEPT);
                    }
                    if (!records.isEmpty()) {
                        c.commitSync();
                    }
                }
            }
            // Watch a while longer: nothing comes again.
            long end = System.nanoTime() + QUIET.toNanos();
            while (System.nanoTime() - end < 0) {
                for (int i = 0; i < consumers.size(); i++) {
                    var c = consumers.get(i);
                    for (var r : c.poll(Duration.ofMillis(100))) {
                        deliveredTo.computeIfAbsent(r.value(), v -> new ArrayList<>()).add("c" + i + "-again");
                        c.acknowledge(r, AcknowledgeType.ACCEPT);
                    }
                    c.commitSync();
                }
            }
            assertEquals(new TreeSet<>(values), deliveredTo.keySet(), "every record delivered");
            Map<String, List<String>> more = deliveredTo.entrySet().stream().filter(e -> e.getValue().size() != 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
            assertEquals(Map.of(), more, "records delivered more than once");
            assertTrue(deliveryCounts.values().stream().allMatch(d -> d == 1), "every delivery count is 1: " + deliveryCounts);
            Set<String> receivers = deliveredTo.values().stream().flatMap(List::stream).collect(Collectors.toSet());
            System.out.println("[share-three] " + target + " receivers: " + receivers + " per consumer: "
                    + deliveredTo.values().stream().flatMap(List::stream).collect(Collectors.groupingBy(s -> s, Collectors.counting())));

            try (Admin admin = Clients.admin(broker)) {
                ShareGroupDescription d = Await.value(Clients.TIMEOUT, "group " + group + " stable with 3 members", () -> {
                    ShareGroupDescription g = Clients.get(admin.describeShareGroups(List.of(group)).describedGroups().get(group));
                    return g.groupState() == GroupState.STABLE && g.members().size() == 3 ? Optional.of(g) : Optional.empty();
                });
                Set<TopicPartition> assigned = new HashSet<>();
                d.members().forEach(m -> assigned.addAll(m.assignment().topicPartitions()));
                assertEquals(offsets(topic, 4, 0).keySet(), assigned, "the members' assignments cover the topic");
                System.out.println("[share-three] " + target + " described: " + d);
            }
            awaitStartOffsets(broker, group, offsets(topic, 4, 75));
        } finally {
            consumers.forEach(KafkaShareConsumer::close);
        }
    }

    // 2
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void releasedRecordsComeBackWithDeliveryCountTwo(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-release");
        String group = Clients.uniqueTopic("share-release-g");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ShareGroups.startAtEarliest(broker, group);
        ShareGroups.produce(broker, topic, 1, "r", 10);
        Map<Long, List<Short>> deliveries = new TreeMap<>();
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "explicit")) {
            c.subscribe(List.of(topic));
            Set<Long> evens = Set.of(0L, 2L, 4L, 6L, 8L);
            pollUntil(c, "every record delivered once and the even offsets twice", r -> {
                short count = r.deliveryCount().orElseThrow();
                deliveries.computeIfAbsent(r.offset(), o -> new ArrayList<>()).add(count);
                boolean release = count == 1 && evens.contains(r.offset());
                c.acknowledge(r, release ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT);
            }, () -> deliveries.size() == 10 && evens.stream().allMatch(o -> deliveries.get(o).size() == 2));
            assertTrue(pollQuietly(c, true).isEmpty(), "nothing delivered after all were accepted");
        }
        Map<Long, List<Short>> expected = new TreeMap<>();
        for (long o = 0; o < 10; o++) {
            expected.put(o, o % 2 == 0 ? List.of((short) 1, (short) 2) : List.of((short) 1));
        }
        assertEquals(expected, deliveries, "delivery counts per offset");
        awaitStartOffsets(broker, group, offsets(topic, 1, 10));
    }

    // 3
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void recordsHeldPastTheirLockGoToAnotherConsumer(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-lock");
        String group = Clients.uniqueTopic("share-lock-g");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ShareGroups.startAtEarliest(broker, group);
        ShareGroups.produce(broker, topic, 1, "l", 10);
        Set<Long> heldByFirst = new TreeSet<>();
        Map<Long, Short> second = new TreeMap<>();
        // The first consumer polls once with records and is never polled again until the end: its records' locks expire.
        try (KafkaShareConsumer<String, String> first = ShareGroups.consumer(broker, group, "explicit")) {
            first.subscribe(List.of(topic));
            Await.until(Clients.TIMEOUT, "the first consumer gets records", () -> {
                first.poll(poll()).forEach(r -> heldByFirst.add(r.offset()));
                return !heldByFirst.isEmpty();
            });
            long acquiredAt = System.nanoTime();
            try (KafkaShareConsumer<String, String> other = ShareGroups.consumer(broker, group, "explicit")) {
                other.subscribe(List.of(topic));
                pollUntil(other, "the second consumer gets all 10 records", r -> {
                    second.put(r.offset(), r.deliveryCount().orElseThrow());
                    other.acknowledge(r, AcknowledgeType.ACCEPT);
                }, () -> second.size() == 10);
                long waitedMs = (System.nanoTime() - acquiredAt) / 1_000_000;
                assertTrue(waitedMs >= LOCK_MS - 500, "the held records came only after the lock: " + waitedMs + " ms");
            }
        }
        System.out.println("[share-lock] " + target + " first held " + heldByFirst + ", second got " + second);
        heldByFirst.forEach(o -> assertEquals((short) 2, second.get(o), "delivery count of " + o + " after the lock expired"));
        second.forEach((o, d) -> {
            if (!heldByFirst.contains(o)) {
                assertTrue(d >= 1, "delivery count of " + o);
            }
        });
        awaitStartOffsets(broker, group, offsets(topic, 1, 10));
    }

    // 4
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void rejectedRecordsAreNeverDeliveredAgain(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-reject");
        String group = Clients.uniqueTopic("share-reject-g");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ShareGroups.startAtEarliest(broker, group);
        ShareGroups.produce(broker, topic, 1, "x", 10);
        Map<Long, Integer> seen = new TreeMap<>();
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "explicit")) {
            c.subscribe(List.of(topic));
            pollUntil(c, "all 10 delivered", r -> {
                seen.merge(r.offset(), 1, Integer::sum);
                c.acknowledge(r, r.offset() % 2 == 0 ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT);
            }, () -> seen.size() == 10);
            List<ConsumerRecord<String, String>> again = pollQuietly(c, true);
            assertEquals(List.of(), again.stream().map(ShareGroups::id).toList(), "nothing delivered again");
        }
        assertEquals(IntStream.range(0, 10).boxed().collect(Collectors.toMap(i -> (long) i, i -> 1)), seen);
        awaitStartOffsets(broker, group, offsets(topic, 1, 10));
    }

    // 5
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aRecordReleasedEveryTimeIsDeliveredDeliveryCountLimitTimesThenArchived(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-limit");
        String group = Clients.uniqueTopic("share-limit-g");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ShareGroups.startAtEarliest(broker, group);
        ShareGroups.produce(broker, topic, 1, "d", 3);
        Map<Long, List<Short>> deliveries = new TreeMap<>();
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "explicit")) {
            c.subscribe(List.of(topic));
            pollUntil(c, "each record delivered " + DELIVERY_LIMIT + " times", r -> {
                deliveries.computeIfAbsent(r.offset(), o -> new ArrayList<>()).add(r.deliveryCount().orElseThrow());
                c.acknowledge(r, AcknowledgeType.RELEASE);
            }, () -> deliveries.size() == 3 && deliveries.values().stream().allMatch(l -> l.size() >= DELIVERY_LIMIT));
            List<ConsumerRecord<String, String>> again = pollQuietly(c, false);
            again.forEach(r -> deliveries.get(r.offset()).add(r.deliveryCount().orElseThrow()));
        }
        List<Short> counts = IntStream.rangeClosed(1, DELIVERY_LIMIT).mapToObj(i -> (short) i).toList();
        assertEquals(Map.of(0L, counts, 1L, counts, 2L, counts), deliveries, "deliveries (their delivery counts) per offset");
        awaitStartOffsets(broker, group, offsets(topic, 1, 3));
    }

    // 6
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void implicitAcknowledgementAcceptsWhatThePreviousPollReturned(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-implicit");
        String group = Clients.uniqueTopic("share-implicit-g");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        ShareGroups.startAtEarliest(broker, group);
        List<String> values = ShareGroups.produce(broker, topic, 2, "i", 50);
        Map<String, Integer> seen = new TreeMap<>();
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "implicit")) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
            while (seen.size() < values.size()) {
                assertTrue(System.nanoTime() - deadline < 0, "timed out: " + seen.size() + " of 50");
                c.poll(poll()).forEach(r -> {
                    seen.merge(r.value(), 1, Integer::sum);
                    assertEquals(Optional.of((short) 1), r.deliveryCount(), "delivery count of " + id(r));
                });
            }
            c.commitSync();
        }
        awaitStartOffsets(broker, group, offsets(topic, 2, 25));
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "implicit")) {
            c.subscribe(List.of(topic));
            assertEquals(List.of(), pollQuietly(c, false).stream().map(ShareGroups::id).toList(), "nothing delivered again");
        }
        assertEquals(values.stream().collect(Collectors.toMap(v -> v, v -> 1)), seen);
    }

    // 7
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aShareGroupAndAConsumerGroupOnOneTopicEachSeeEveryRecord(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-mixed");
        String shareGroup = Clients.uniqueTopic("share-mixed-s");
        String consumerGroup = Clients.uniqueTopic("share-mixed-c");
        Clients.createTopics(broker, Clients.topic(topic, 3));
        ShareGroups.startAtEarliest(broker, shareGroup);
        List<String> values = ShareGroups.produce(broker, topic, 3, "m", 60);
        Set<String> shared = new TreeSet<>();
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, shareGroup, "implicit")) {
            c.subscribe(List.of(topic));
            pollUntil(c, "the share consumer saw all 60", r -> shared.add(r.value()), () -> shared.size() == 60);
        }
        Set<String> consumed = new TreeSet<>();
        try (KafkaConsumer<String, String> c = Clients.consumer(broker, Map.of(ConsumerConfig.GROUP_ID_CONFIG, consumerGroup,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
            while (consumed.size() < 60) {
                assertTrue(System.nanoTime() - deadline < 0, "timed out: consumer group saw " + consumed.size());
                c.poll(poll()).forEach(r -> consumed.add(r.value()));
            }
            c.commitSync();
        }
        assertEquals(new TreeSet<>(values), shared);
        assertEquals(new TreeSet<>(values), consumed);
        try (Admin admin = Clients.admin(broker)) {
            Map<TopicPartition, OffsetAndMetadata> committed = Clients.get(admin.listConsumerGroupOffsets(consumerGroup)
                    .partitionsToOffsetAndMetadata());
            assertEquals(offsets(topic, 3, 20), committed.entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset())));
        }
        awaitStartOffsets(broker, shareGroup, offsets(topic, 3, 20));
    }

    // 8
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void shareSessionAndGroupTypeErrorsAreKafkas(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-errors");
        String group = Clients.uniqueTopic("share-errors-g");
        String consumerGroup = Clients.uniqueTopic("share-errors-c");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ShareGroups.produce(broker, topic, 1, "e", 1);
        Uuid topicId;
        try (Admin admin = Clients.admin(broker)) {
            topicId = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).topicId();
        }
        // a consumer group (KIP-848) owns consumerGroup
        try (KafkaConsumer<String, String> c = Clients.consumer(broker, Map.of(ConsumerConfig.GROUP_ID_CONFIG, consumerGroup,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"))) {
            c.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            Await.until(Clients.TIMEOUT, "the consumer group member reads", () -> {
                c.poll(poll()).forEach(got::add);
                return !got.isEmpty();
            });
            c.commitSync();
        }
        try (RawKafkaConnection raw = RawKafkaConnection.open(broker)) {
            // an unknown share session: epoch > 0 for a member that never opened one
            ShareFetchResponse unknown = raw.exchange(new ShareFetchRequest.Builder(fetch(group, Uuid.randomUuid().toString(), 3, topicId))
                    .build((short) 1));
            System.out.println("[share-errors] " + target + " unknown session: " + unknown.data());
            assertEquals(Errors.SHARE_SESSION_NOT_FOUND.code(), unknown.data().errorCode(), "unknown session: " + unknown.data());

            // a session opened with epoch 0, then a wrong epoch
            String member = Uuid.randomUuid().toString();
            ShareFetchResponse opened = raw.exchange(new ShareFetchRequest.Builder(fetch(group, member, 0, topicId)).build((short) 1));
            System.out.println("[share-errors] " + target + " opened (epoch 0, not a member): " + opened.data());
            assertEquals(Errors.NONE.code(), opened.data().errorCode(), "opened: " + opened.data());
            assertTrue(opened.data().responses().isEmpty(), "nothing to hand out, no partition in the answer: " + opened.data());
            ShareFetchResponse wrong = raw.exchange(new ShareFetchRequest.Builder(fetch(group, member, 7, topicId)).build((short) 1));
            System.out.println("[share-errors] " + target + " wrong epoch: " + wrong.data());
            assertEquals(Errors.INVALID_SHARE_SESSION_EPOCH.code(), wrong.data().errorCode(), "wrong epoch: " + wrong.data());

            // ShareGroupHeartbeat for a group id a consumer group uses
            ShareGroupHeartbeatResponse hb = raw.exchange(new ShareGroupHeartbeatRequest.Builder(new ShareGroupHeartbeatRequestData()
                    .setGroupId(consumerGroup).setMemberId(Uuid.randomUuid().toString()).setMemberEpoch(0)
                    .setSubscribedTopicNames(List.of(topic))).build((short) 1));
            System.out.println("[share-errors] " + target + " heartbeat on a consumer group: " + hb.data());
            assertEquals(Errors.GROUP_ID_NOT_FOUND.code(), hb.data().errorCode(), "heartbeat on a consumer group: " + hb.data());
        }
    }

    // 8b
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void acknowledgementRefusalsAreKafkas(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-acks");
        String group = Clients.uniqueTopic("share-acks-g");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ShareGroups.startAtEarliest(broker, group);
        ShareGroups.produce(broker, topic, 1, "a", 5);
        Uuid topicId;
        try (Admin admin = Clients.admin(broker)) {
            topicId = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).topicId();
        }
        String member = Uuid.randomUuid().toString();
        try (RawKafkaConnection raw = RawKafkaConnection.open(broker)) {
            // As a client does first: find the coordinator (Kafka creates its offsets topic then).
            Await.until(Clients.TIMEOUT, "a coordinator for the group", () -> {
                FindCoordinatorResponse r = raw.exchange(new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                        .setKeyType((byte) 0).setCoordinatorKeys(List.of(group))).build((short) 4));
                return r.data().coordinators().get(0).errorCode() == Errors.NONE.code();
            });
            int[] memberEpoch = {0};
            int[] sessionEpoch = {0};
            List<ShareFetchResponseData.AcquiredRecords> acquired = new ArrayList<>();
            // Join, then fetch until the group's share-partition hands out the five records.
            Await.until(Clients.TIMEOUT, "the member acquires the records", () -> {
                ShareGroupHeartbeatResponse hb = raw.exchange(new ShareGroupHeartbeatRequest.Builder(
                        new ShareGroupHeartbeatRequestData().setGroupId(group).setMemberId(member)
                                .setMemberEpoch(memberEpoch[0]).setSubscribedTopicNames(List.of(topic))).build((short) 1));
                Errors hbError = Errors.forCode(hb.data().errorCode());
                if (hbError == Errors.NOT_COORDINATOR || hbError == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
                    return false; // Kafka: its coordinator is still loading; a client retries too
                }
                assertEquals(Errors.NONE, hbError, "heartbeat: " + hb.data());
                memberEpoch[0] = hb.data().memberEpoch();
                ShareFetchResponse f = raw.exchange(new ShareFetchRequest.Builder(
                        fetch(group, member, sessionEpoch[0], topicId).setMaxWaitMs(500)).build((short) 1));
                assertEquals(Errors.NONE.code(), f.data().errorCode(), "fetch: " + f.data());
                sessionEpoch[0] = ShareRequestMetadata.nextEpoch(sessionEpoch[0]);
                f.data().responses().forEach(t -> t.partitions().forEach(p -> acquired.addAll(p.acquiredRecords())));
                return acquired.stream().mapToLong(a -> a.lastOffset() - a.firstOffset() + 1).sum() == 5;
            });

            // Accepting records the member holds: fine; accepting them again (now below the start): ignored.
            assertEquals(Errors.NONE, ackError(raw, group, member, sessionEpoch[0], topicId, 0, 1, ACCEPT));
            sessionEpoch[0] = ShareRequestMetadata.nextEpoch(sessionEpoch[0]);
            assertEquals(Errors.NONE, ackError(raw, group, member, sessionEpoch[0], topicId, 0, 1, ACCEPT));
            sessionEpoch[0] = ShareRequestMetadata.nextEpoch(sessionEpoch[0]);
            // A record handed back is no longer the member's to accept: INVALID_RECORD_STATE.
            assertEquals(Errors.NONE, ackError(raw, group, member, sessionEpoch[0], topicId, 2, 2, RELEASE));
            sessionEpoch[0] = ShareRequestMetadata.nextEpoch(sessionEpoch[0]);
            assertEquals(Errors.INVALID_RECORD_STATE, ackError(raw, group, member, sessionEpoch[0], topicId, 2, 2, ACCEPT));
            sessionEpoch[0] = ShareRequestMetadata.nextEpoch(sessionEpoch[0]);
            // An offset past what was handed out: INVALID_REQUEST.
            assertEquals(Errors.INVALID_REQUEST, ackError(raw, group, member, sessionEpoch[0], topicId, 50, 50, ACCEPT));
            sessionEpoch[0] = ShareRequestMetadata.nextEpoch(sessionEpoch[0]);

            // ShareAcknowledge cannot open a session, nor skip an epoch.
            ShareAcknowledgeResponse initial = raw.exchange(new ShareAcknowledgeRequest.Builder(
                    ack(group, member, 0, topicId, 3, 3, ACCEPT)).build((short) 1));
            assertEquals(Errors.INVALID_SHARE_SESSION_EPOCH.code(), initial.data().errorCode(), "epoch 0: " + initial.data());
            ShareAcknowledgeResponse skipped = raw.exchange(new ShareAcknowledgeRequest.Builder(
                    ack(group, member, sessionEpoch[0] + 5, topicId, 3, 3, ACCEPT)).build((short) 1));
            assertEquals(Errors.INVALID_SHARE_SESSION_EPOCH.code(), skipped.data().errorCode(), "skipped epoch: " + skipped.data());
            // The final epoch closes the session, acknowledging on the way; then it is gone.
            assertEquals(Errors.NONE, ackError(raw, group, member, ShareRequestMetadata.FINAL_EPOCH, topicId, 3, 4, ACCEPT));
            ShareAcknowledgeResponse gone = raw.exchange(new ShareAcknowledgeRequest.Builder(
                    ack(group, member, sessionEpoch[0], topicId, 3, 3, ACCEPT)).build((short) 1));
            assertEquals(Errors.SHARE_SESSION_NOT_FOUND.code(), gone.data().errorCode(), "after the final epoch: " + gone.data());
        }
    }

    private static final byte ACCEPT = 1;
    private static final byte RELEASE = 2;

    private static Errors ackError(RawKafkaConnection raw, String group, String member, int epoch, Uuid topicId,
                                   long first, long last, byte type) {
        ShareAcknowledgeResponse r = raw.exchange(new ShareAcknowledgeRequest.Builder(
                ack(group, member, epoch, topicId, first, last, type)).build((short) 1));
        assertEquals(Errors.NONE.code(), r.data().errorCode(), "acknowledge: " + r.data());
        return Errors.forCode(r.data().responses().iterator().next().partitions().get(0).errorCode());
    }

    private static ShareAcknowledgeRequestData ack(String group, String member, int epoch, Uuid topicId, long first,
                                                   long last, byte type) {
        ShareAcknowledgeRequestData.AcknowledgeTopicCollection topics = new ShareAcknowledgeRequestData.AcknowledgeTopicCollection();
        ShareAcknowledgeRequestData.AcknowledgeTopic t = new ShareAcknowledgeRequestData.AcknowledgeTopic().setTopicId(topicId);
        ShareAcknowledgeRequestData.AcknowledgePartitionCollection partitions =
                new ShareAcknowledgeRequestData.AcknowledgePartitionCollection();
        partitions.add(new ShareAcknowledgeRequestData.AcknowledgePartition().setPartitionIndex(0)
                .setAcknowledgementBatches(List.of(new ShareAcknowledgeRequestData.AcknowledgementBatch()
                        .setFirstOffset(first).setLastOffset(last).setAcknowledgeTypes(List.of(type)))));
        t.setPartitions(partitions);
        topics.add(t);
        return new ShareAcknowledgeRequestData().setGroupId(group).setMemberId(member).setShareSessionEpoch(epoch)
                .setTopics(topics);
    }

    private static ShareFetchRequestData fetch(String group, String member, int epoch, Uuid topicId) {
        ShareFetchRequestData.FetchTopicCollection topics = new ShareFetchRequestData.FetchTopicCollection();
        ShareFetchRequestData.FetchTopic t = new ShareFetchRequestData.FetchTopic().setTopicId(topicId);
        t.partitions().add(new ShareFetchRequestData.FetchPartition().setPartitionIndex(0));
        topics.add(t);
        return new ShareFetchRequestData().setGroupId(group).setMemberId(member).setShareSessionEpoch(epoch)
                .setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20).setMaxRecords(10).setBatchSize(10).setTopics(topics);
    }

    // 9
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void kafkaShareGroupsToolListsDescribesResetsAndDeletes(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("share-cli");
        String group = Clients.uniqueTopic("share-cli-g");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        ShareGroups.startAtEarliest(broker, group);
        ShareGroups.produce(broker, topic, 2, "c", 20);
        Set<String> seen = new TreeSet<>();
        try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "implicit")) {
            c.subscribe(List.of(topic));
            pollUntil(c, "all 20 consumed", r -> seen.add(r.value()), () -> seen.size() == 20);
            c.commitSync();
        }
        awaitStartOffsets(broker, group, offsets(topic, 2, 10));

        ProcessResult list = tool(broker, "--list");
        System.out.println("[share-cli] " + target + " --list:\n" + list.stdout());
        assertTrue(list.stdoutLines().contains(group), "--list: " + list.stdout());

        ProcessResult describe = tool(broker, "--describe", "--group", group);
        assertTrue(describe.stdoutLines().stream().anyMatch(l -> List.of(l.trim().split("\\s+"))
                .equals(List.of("GROUP", "TOPIC", "PARTITION", "START-OFFSET", "LAG"))), "--describe header: " + describe.stdout());
        System.out.println("[share-cli] " + target + " --describe:\n" + describe.stdout());
        for (int p = 0; p < 2; p++) {
            String partition = String.valueOf(p);
            assertTrue(describe.stdoutLines().stream().map(l -> List.of(l.trim().split("\\s+")))
                    .anyMatch(cols -> cols.size() == 5 && cols.get(0).equals(group) && cols.get(1).equals(topic)
                            && cols.get(2).equals(partition) && Long.parseLong(cols.get(3)) >= 0 && Long.parseLong(cols.get(3)) <= 10
                            && cols.get(4).equals("0")), "--describe row (GROUP TOPIC PARTITION START-OFFSET LAG=0) for partition "
                    + p + ": " + describe.stdout());
        }

        ProcessResult reset = tool(broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        System.out.println("[share-cli] " + target + " --reset-offsets:\n" + reset.stdout());
        Set<List<String>> resetRows = reset.stdoutLines().stream().map(l -> List.of(l.trim().split("\\s+")))
                .filter(cols -> cols.size() == 4).collect(Collectors.toSet());
        assertEquals(Set.of(List.of("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"), List.of(group, topic, "0", "0"),
                List.of(group, topic, "1", "0")), resetRows, "--reset-offsets: " + reset.stdout());
        awaitLags(broker, group, offsets(topic, 2, 10)).forEach((tp, info) ->
                assertEquals(0L, info.startOffset(), "start offset after --to-earliest: " + info));

        ProcessResult state = tool(broker, "--describe", "--group", group, "--state");
        System.out.println("[share-cli] " + target + " --describe --state:\n" + state.stdout());
        assertTrue(state.stdoutLines().stream().anyMatch(l -> l.contains(group) && l.contains("Empty")),
                "--describe --state shows the empty group: " + state.stdout());
        ProcessResult members = tool(broker, "--describe", "--group", group, "--members");
        System.out.println("[share-cli] " + target + " --describe --members:\n" + members.stdout());
        assertTrue(members.stdoutLines().stream().noneMatch(l -> l.contains(group)),
                "--describe --members of an empty group lists no member: " + members.stdout());

        ProcessResult deleteOffsets = tool(broker, "--delete-offsets", "--group", group, "--topic", topic);
        System.out.println("[share-cli] " + target + " --delete-offsets:\n" + deleteOffsets.stdout());
        assertTrue(deleteOffsets.stdoutLines().stream().map(l -> List.of(l.trim().split("\\s+")))
                .anyMatch(cols -> cols.equals(List.of(topic, "Successful"))), "--delete-offsets: " + deleteOffsets.stdout());
        ProcessResult after = tool(broker, "--describe", "--group", group);
        assertTrue(after.stdout().contains("Share group '" + group + "' has no offset information."),
                "--describe after --delete-offsets: " + after.stdout());
        System.out.println("[share-cli] " + target + " --describe after --delete-offsets:\n" + after.stdout());
        assertTrue(after.stdoutLines().stream().map(l -> List.of(l.trim().split("\\s+")))
                .noneMatch(cols -> cols.size() == 5 && cols.get(1).equals(topic) && cols.get(3).matches("\\d+")),
                "no start offsets of " + topic + " after --delete-offsets: " + after.stdout());

        ProcessResult delete = tool(broker, "--delete", "--group", group);
        System.out.println("[share-cli] " + target + " --delete:\n" + delete.stdout());
        assertTrue(delete.stdout().contains("Deletion of requested share groups ('" + group + "') was successful."),
                "--delete: " + delete.stdout());
        try (Admin admin = Clients.admin(broker)) {
            Await.until(Clients.TIMEOUT, "group " + group + " is gone", () -> Clients.get(admin.listGroups().all()).stream()
                    .noneMatch(g -> g.groupId().equals(group)));
        }
    }

    private static ProcessResult tool(Broker broker, String... args) {
        List<String> command = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        command.addAll(List.of(args));
        return ToolRunner.run(SHARE_GROUP_COMMAND, command).assertSucceeded();
    }
}
