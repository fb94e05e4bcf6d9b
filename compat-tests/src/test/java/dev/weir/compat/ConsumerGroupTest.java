package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Consumer groups of both protocols (classic, and KIP-848 "consumer"): partitions shared out,
 * offsets committed and resumed from, groups administered, restarts survived.
 */
class ConsumerGroupTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> assignors() {
        return Target.selectedWith("range", "roundrobin", "sticky", "cooperative-sticky",
                "consumer-uniform", "consumer-range");
    }

    /** A consumer polling and committing after each batch on its own thread, as an application would. */
    private static final class GroupMember implements AutoCloseable {
        final AtomicReference<Set<TopicPartition>> assignment = new AtomicReference<>(Set.of());
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread;

        GroupMember(Broker broker, String group, String topic, String assignor,
                    Collection<ConsumerRecord<String, String>> sink) {
            thread = new Thread(() -> {
                try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, groupSettings(group, assignor))) {
                    consumer.subscribe(List.of(topic));
                    while (running.get()) {
                        var records = consumer.poll(Duration.ofMillis(100));
                        records.forEach(sink::add);
                        if (!records.isEmpty()) {
                            consumer.commitSync();
                        }
                        assignment.set(Set.copyOf(consumer.assignment()));
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "group-member");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(Clients.TIMEOUT.toMillis());
        }
    }

    /**
     * A classic-protocol member with a client-side assignor, or, for "consumer-NAME", a KIP-848
     * member ({@code group.protocol=consumer}) asking for the server-side assignor NAME.
     */
    static Map<String, Object> groupSettings(String group, String assignor) {
        if (assignor.startsWith("consumer-")) {
            return Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                    ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer",
                    ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, assignor.substring("consumer-".length()));
        }
        return Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignorClass(assignor));
    }

    private static String assignorClass(String assignor) {
        return switch (assignor) {
            case "range" -> "org.apache.kafka.clients.consumer.RangeAssignor";
            case "roundrobin" -> "org.apache.kafka.clients.consumer.RoundRobinAssignor";
            case "sticky" -> "org.apache.kafka.clients.consumer.StickyAssignor";
            case "cooperative-sticky" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
            default -> throw new IllegalArgumentException(assignor);
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("assignors")
    void threeConsumersShareSixPartitionsAndConsumeEveryRecordOnce(Target target, String assignor) throws Exception {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-share");
        String group = Clients.uniqueTopic("group-share-" + assignor);
        Clients.createTopics(broker, Clients.topic(topic, 6));
        Collection<ConsumerRecord<String, String>> consumed = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<GroupMember> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                members.add(new GroupMember(broker, group, topic, assignor, consumed));
            }
            Await.until(Clients.TIMEOUT, "three members each own two of the six partitions", () -> {
                members.forEach(ConsumerGroupTest::requireNoFailure);
                return members.stream().allMatch(m -> m.assignment.get().size() == 2)
                        && members.stream().flatMap(m -> m.assignment.get().stream()).distinct().count() == 6;
            });
            int total = 600;
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < total; i++) {
                    producer.send(new ProducerRecord<>(topic, i % 6, "k" + i, "v" + i));
                }
                producer.flush();
            }
            Await.until(Clients.TIMEOUT, "all " + total + " records consumed", () -> {
                members.forEach(ConsumerGroupTest::requireNoFailure);
                return consumed.size() >= total;
            });
            Map<String, Long> counts = consumed.stream().collect(Collectors.groupingBy(
                    r -> r.partition() + "@" + r.offset(), Collectors.counting()));
            assertEquals(total, counts.size(), "every record consumed");
            assertTrue(counts.values().stream().allMatch(c -> c == 1), "no record consumed twice");
            try (Admin admin = Clients.admin(broker)) {
                ConsumerGroupDescription d = Clients.get(admin.describeConsumerGroups(List.of(group)).all()).get(group);
                assertEquals(GroupState.STABLE, d.groupState());
                assertEquals(3, d.members().size());
                assertEquals(6, d.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum());
                assertThrows(GroupNotEmptyException.class,
                        () -> Clients.get(admin.deleteConsumerGroups(List.of(group)).all()));
            }
        } finally {
            for (GroupMember m : members) {
                m.close();
            }
        }
        members.forEach(ConsumerGroupTest::requireNoFailure);
        try (Admin admin = Clients.admin(broker)) {
            Map<TopicPartition, OffsetAndMetadata> committed = Clients.get(
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            assertEquals(6, committed.size());
            committed.values().forEach(o -> assertEquals(100, o.offset()));
            Await.until(Clients.TIMEOUT, "the group is empty once its members left", () ->
                    Clients.get(admin.describeConsumerGroups(List.of(group)).all()).get(group).groupState()
                            == GroupState.EMPTY);
            Clients.get(admin.deleteConsumerGroups(List.of(group)).all());
            Collection<GroupListing> groups = Clients.get(admin.listGroups().all());
            assertTrue(groups.stream().noneMatch(g -> g.groupId().equals(group)), "deleted group is not listed");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("assignors")
    void whenOneMemberLeavesAndAnotherJoinsNoRecordIsLostOrProcessedTwice(Target target, String assignor) throws Exception {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-churn");
        Collection<ConsumerRecord<String, String>> consumed = churn(broker, topic, Clients.uniqueTopic("group-churn-" + assignor),
                assignor);
        Map<String, Long> counts = consumed.stream().collect(Collectors.groupingBy(
                r -> r.partition() + "@" + r.offset(), Collectors.counting()));
        assertEquals(600, counts.size(), "every record consumed");
        assertTrue(counts.values().stream().allMatch(c -> c == 1), "no record consumed twice");
    }

    /**
     * The churn scenario on a real Kafka broker and on Weir in the same run: what the group delivered
     * from each partition (values, in delivery order) and what it committed must be the same.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"range", "cooperative-sticky", "consumer-uniform"})
    void aGroupDeliversEveryPartitionExactlyAsKafkaDoes(String assignor) throws Exception {
        Broker kafka = brokers.on(Target.KAFKA);
        Broker candidate = brokers.on(Target.isSelected(Target.WEIR) ? Target.WEIR : Target.KAFKA);
        List<String> expected = deliveryPerPartition(kafka, assignor);
        List<String> actual = deliveryPerPartition(candidate, assignor);
        assertEquals(String.join("\n", expected), String.join("\n", actual),
                candidate.target() + " delivered differently from Kafka");
    }

    private static List<String> deliveryPerPartition(Broker broker, String assignor) throws Exception {
        String topic = Clients.uniqueTopic("group-compare");
        String group = Clients.uniqueTopic("group-compare-" + assignor);
        Collection<ConsumerRecord<String, String>> consumed = churn(broker, topic, group, assignor);
        List<String> seen = new ArrayList<>();
        Map<Integer, List<String>> byPartition = new java.util.TreeMap<>();
        consumed.forEach(r -> byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r.value()));
        byPartition.forEach((p, values) -> seen.add("partition " + p + " delivered " + values));
        try (Admin admin = Clients.admin(broker)) {
            new java.util.TreeMap<>(Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata())
                    .entrySet().stream().collect(Collectors.toMap(e -> e.getKey().partition(), e -> e.getValue().offset())))
                    .forEach((p, o) -> seen.add("partition " + p + " committed " + o));
            Await.until(Clients.TIMEOUT, "the group is empty once its members left", () ->
                    Clients.get(admin.describeConsumerGroups(List.of(group)).all()).get(group).groupState()
                            == GroupState.EMPTY);
            seen.add("state " + Clients.get(admin.describeConsumerGroups(List.of(group)).all()).get(group).groupState());
        }
        return seen;
    }

    /**
     * Three members share a 6-partition topic and consume 300 records, committing after each batch;
     * then one leaves, another joins, and 300 more are consumed. Returns every record consumed, in
     * the order members saw them.
     */
    private static Collection<ConsumerRecord<String, String>> churn(Broker broker, String topic, String group,
                                                                    String assignor) throws Exception {
        Clients.createTopics(broker, Clients.topic(topic, 6));
        Collection<ConsumerRecord<String, String>> consumed = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<GroupMember> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                members.add(new GroupMember(broker, group, topic, assignor, consumed));
            }
            awaitBalanced(members);
            produceSpread6(broker, topic, 0, 300);
            Await.until(Clients.TIMEOUT, "the first 300 records consumed", () -> consumed.size() >= 300);

            members.remove(0).close();
            members.add(new GroupMember(broker, group, topic, assignor, consumed));
            awaitBalanced(members);
            produceSpread6(broker, topic, 300, 300);
            Await.until(Clients.TIMEOUT, "all 600 records consumed", () -> {
                members.forEach(ConsumerGroupTest::requireNoFailure);
                return consumed.stream().map(r -> r.partition() + "@" + r.offset()).distinct().count() >= 600;
            });
        } finally {
            for (GroupMember m : members) {
                m.close();
            }
        }
        members.forEach(ConsumerGroupTest::requireNoFailure);
        return consumed;
    }

    private static void awaitBalanced(List<GroupMember> members) {
        Await.until(Clients.TIMEOUT, "three members each own two of the six partitions", () -> {
            members.forEach(ConsumerGroupTest::requireNoFailure);
            return members.stream().allMatch(m -> m.assignment.get().size() == 2)
                    && members.stream().flatMap(m -> m.assignment.get().stream()).distinct().count() == 6;
        });
    }

    private static void produceSpread6(Broker broker, String topic, int from, int count) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % 6, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    private static void requireNoFailure(GroupMember m) {
        if (m.failure.get() != null) {
            throw new AssertionError("a group member failed", m.failure.get());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aNewConsumerOfTheGroupResumesAfterTheCommittedOffset(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-resume");
        String group = Clients.uniqueTopic("group-resume");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        produce(broker, topic, 0, 10);
        TopicPartition tp = new TopicPartition(topic, 0);
        commitAfterReading(broker, group, topic, 6);
        assertEquals(List.of(6L, 7L, 8L, 9L), readFromCommitted(broker, group, topic, 4));
    }

    @org.junit.jupiter.api.Test
    void committedOffsetsSurviveAGatewayRestart() {
        try (Broker broker = Target.WEIR.start("group-restart", Map.of())) {
            String topic = Clients.uniqueTopic("group-durable");
            String group = Clients.uniqueTopic("group-durable");
            Clients.createTopics(broker, Clients.topic(topic, 1));
            produce(broker, topic, 0, 10);
            commitAfterReading(broker, group, topic, 6);

            broker.stop();
            broker.restart();

            try (Admin admin = Clients.admin(broker)) {
                assertTrue(Clients.get(admin.listGroups().all()).stream().anyMatch(g -> g.groupId().equals(group)),
                        "a group with committed offsets is listed after a restart");
            }
            assertEquals(List.of(6L, 7L, 8L, 9L), readFromCommitted(broker, group, topic, 4));
        }
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"range", "consumer-uniform"})
    void aConsumerRunningThroughAGatewayRestartKeepsItsPlaceAndResumesFromItsCommittedOffsets(String assignor) {
        try (Broker broker = Target.WEIR.start("group-live-restart", Map.of())) {
            String topic = Clients.uniqueTopic("group-live");
            String group = Clients.uniqueTopic("group-live");
            Clients.createTopics(broker, Clients.topic(topic, 2));
            Map<String, Integer> seen = new ConcurrentHashMap<>();
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, groupSettings(group, assignor))) {
                consumer.subscribe(List.of(topic));
                produceSpread(broker, topic, 0, 20);
                pollUntil(consumer, seen, 20);
                int generation = consumer.groupMetadata().generationId();
                String memberId = consumer.groupMetadata().memberId();

                broker.stop();
                broker.restart();

                produceSpread(broker, topic, 20, 20);
                pollUntil(consumer, seen, 40);
                // The membership survived the restart: a member unknown to the coordinator would have been
                // told so and given a new member id.
                assertEquals(memberId, consumer.groupMetadata().memberId(), "the same member after the restart");
                if (assignor.startsWith("consumer-")) {
                    // A classic consumer rejoins by itself here: losing its only broker makes it
                    // re-bootstrap its metadata (KIP-899), which it takes for a metadata change.
                    assertEquals(generation, consumer.groupMetadata().generationId(), "no new member epoch");
                }
            }
            assertEquals(40, seen.size(), "every record consumed");
            assertTrue(seen.values().stream().allMatch(n -> n == 1), "none consumed twice: " + seen);
        }
    }

    /**
     * What a crash may not forget: the member epoch a member was told before a {@code kill -9}. Two
     * members go on polling and committing across four kills, and every record produced after each
     * restart must be consumed, with no commit refused, on Weir as on Kafka.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("killedGroups")
    // Before Weir refused to mix topic names and ids in one fetch session, the members stalled here:
    // re-bootstrapped, they reopened their sessions by name, went on by id, and were answered nothing.
    void membersRunningThroughKill9sKeepTheirEpochsAndCommit(Target target, String assignor) throws Exception {
        try (Broker broker = target.start("group-kill9", Map.of())) {
            String topic = Clients.uniqueTopic("group-kill9");
            String group = Clients.uniqueTopic("group-kill9");
            Clients.createTopics(broker, Clients.topic(topic, 6));
            Collection<ConsumerRecord<String, String>> sink = new java.util.concurrent.ConcurrentLinkedQueue<>();
            try (GroupMember first = new GroupMember(broker, group, topic, assignor, sink);
                 GroupMember second = new GroupMember(broker, group, topic, assignor, sink)) {
                List<GroupMember> members = List.of(first, second);
                Await.until(Clients.TIMEOUT, "two members each own three of the six partitions", () -> {
                    members.forEach(ConsumerGroupTest::requireNoFailure);
                    return members.stream().allMatch(m -> m.assignment.get().size() == 3);
                });
                for (int round = 0; round < 4; round++) {
                    // Killed while both members poll and commit: right after some answer, whichever it was.
                    produceSpread6(broker, topic, round * 60, 60);
                    int expected = (round + 1) * 60;
                    Await.until(Clients.TIMEOUT, expected + " records consumed", () -> {
                        members.forEach(ConsumerGroupTest::requireNoFailure);
                        return sink.stream().map(ConsumerRecord::value).distinct().count() >= expected;
                    });
                    broker.kill9();
                    broker.restart();
                }
                produceSpread6(broker, topic, 240, 60);
                Await.until(Clients.TIMEOUT, "300 records consumed", () -> {
                    members.forEach(ConsumerGroupTest::requireNoFailure);
                    return sink.stream().map(ConsumerRecord::value).distinct().count() >= 300;
                });
                members.forEach(ConsumerGroupTest::requireNoFailure);
            }
        }
    }

    static Stream<Arguments> killedGroups() {
        // KIP-848 members: a commit is refused only for an epoch the member was never told, or was told
        // before a newer one (a classic member's commit may fail in a rebalance on any broker).
        return Target.selectedWith("consumer-uniform", "consumer-range");
    }

    private static void produceSpread(Broker broker, String topic, int from, int count) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = from; i < from + count; i++) {
                Clients.get(producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i)));
            }
        }
    }

    /** Polls, counting values and committing after each batch, until {@code distinct} values were seen. */
    private static void pollUntil(KafkaConsumer<String, String> consumer, Map<String, Integer> seen, int distinct) {
        Await.until(Clients.TIMEOUT, distinct + " records consumed", () -> {
            var records = consumer.poll(Duration.ofMillis(100));
            records.forEach(r -> seen.merge(r.value(), 1, Integer::sum));
            if (!records.isEmpty()) {
                consumer.commitSync();
            }
            return seen.size() >= distinct;
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaConsumerGroupsListsDescribesResetsAndDeletesAGroup(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-cli");
        String group = Clients.uniqueTopic("group-cli");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        produce(broker, topic, 0, 10);
        commitAfterReading(broker, group, topic, 6);

        assertTrue(groupsTool(broker, "--list").stdoutLines().contains(group), "--list shows the group");

        ProcessResult described = groupsTool(broker, "--describe", "--group", group);
        assertTrue(described.stdoutLines().stream().anyMatch(l -> l.matches(
                "\\s*" + java.util.regex.Pattern.quote(group) + "\\s+" + java.util.regex.Pattern.quote(topic)
                        + "\\s+0\\s+6\\s+10\\s+4\\s.*")),
                described.describe("does not show offset 6 of 10, lag 4"));

        groupsTool(broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        try (Admin admin = Clients.admin(broker)) {
            Map<TopicPartition, OffsetAndMetadata> committed = Clients.get(
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            assertEquals(0, committed.get(new TopicPartition(topic, 0)).offset(), "reset to the earliest offset");
        }

        ProcessResult offsetsDeleted = groupsTool(broker, "--delete-offsets", "--group", group, "--topic", topic);
        try (Admin admin = Clients.admin(broker)) {
            assertTrue(Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).isEmpty(),
                    offsetsDeleted.describe("--delete-offsets left offsets"));
        }
        commitAfterReading(broker, group, topic, 6);

        ProcessResult deleted = groupsTool(broker, "--delete", "--group", group);
        assertTrue(deleted.stdout().contains("successful"), deleted.describe("no confirmation of the deletion"));
        assertTrue(!groupsTool(broker, "--list").stdoutLines().contains(group), "--list no longer shows the group");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaConsumerGroupsDescribesTheMembersOfAConsumerProtocolGroup(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-cli-848");
        String group = Clients.uniqueTopic("group-cli-848");
        Clients.createTopics(broker, Clients.topic(topic, 3));
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, groupSettings(group, "consumer-uniform"))) {
            consumer.subscribe(List.of(topic));
            Await.until(Clients.TIMEOUT, "the member owns the three partitions", () -> {
                consumer.poll(Duration.ofMillis(50));
                return consumer.assignment().size() == 3;
            });
            // With --type the listing has a TYPE column: "GROUP TYPE".
            ProcessResult consumers = groupsTool(broker, "--list", "--type", "consumer");
            assertTrue(consumers.stdoutLines().stream().anyMatch(l -> l.matches(java.util.regex.Pattern.quote(group)
                    + "\\s+(?i:consumer)\\s*")), consumers.describe("--list --type consumer does not show the group"));
            ProcessResult classics = groupsTool(broker, "--list", "--type", "classic");
            assertTrue(classics.stdoutLines().stream().noneMatch(l -> l.startsWith(group)),
                    classics.describe("--list --type classic shows the consumer group"));
            ProcessResult members = groupsTool(broker, "--describe", "--members", "--group", group);
            assertTrue(members.stdoutLines().stream().anyMatch(l -> l.startsWith(group + " ")
                    && l.contains("weir-compat-consumer") && l.trim().endsWith(" 3")),
                    members.describe("does not show the member with its 3 partitions"));
            ProcessResult state = groupsTool(broker, "--describe", "--state", "--group", group);
            assertTrue(state.stdoutLines().stream().anyMatch(l -> l.startsWith(group + " ") && l.contains("Stable")
                    && l.contains("uniform")), state.describe("does not show a Stable group using the uniform assignor"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kcatBalancedConsumerReadsAndCommitsAsAGroupMember(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-kcat");
        String group = Clients.uniqueTopic("group-kcat");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        produceSpread(broker, topic, 0, 6);

        ProcessResult consumed = Kcat.run(broker, List.of("-G", group, "-o", "beginning", "-c", "6",
                "-f", "%s\\n", topic), null);
        consumed.assertSucceeded();
        assertEquals(Set.of("v0", "v1", "v2", "v3", "v4", "v5"), Set.copyOf(consumed.stdoutLines()),
                consumed.describe("did not read the six records"));
        try (Admin admin = Clients.admin(broker)) {
            Await.until(Clients.TIMEOUT, "kcat's commits are visible", () -> Clients.get(
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).values().stream()
                    .mapToLong(OffsetAndMetadata::offset).sum() == 6);
        }
    }

    private static ProcessResult groupsTool(Broker broker, String... args) {
        return ToolRunner.succeedAgainst(broker, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", args);
    }

    /**
     * offsets.retention.minutes (1, the least Kafka allows): an empty group's offsets expire and the
     * group goes; a stable group keeps the offsets of its subscribed topic but loses another's (KIP-496);
     * offsets committed without a group protocol expire by commit time.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void offsetsExpireAfterTheRetentionAsKafkaExpiresThem(Target target) {
        try (Broker broker = target.start("offsets-retention", Map.of("offsets.retention.minutes", "1",
                "offsets.retention.check.interval.ms", "500"))) {
            String subscribed = Clients.uniqueTopic("retained");
            String other = Clients.uniqueTopic("not-subscribed");
            String emptyGroup = Clients.uniqueTopic("group-empty");
            String liveGroup = Clients.uniqueTopic("group-live");
            String simpleGroup = Clients.uniqueTopic("group-simple");
            Clients.createTopics(broker, Clients.topic(subscribed, 1), Clients.topic(other, 1));
            produce(broker, subscribed, 0, 10);
            commitAfterReading(broker, emptyGroup, subscribed, 5);
            TopicPartition kept = new TopicPartition(subscribed, 0);
            TopicPartition dropped = new TopicPartition(other, 0);
            try (KafkaConsumer<String, String> live = Clients.consumer(broker, Map.of(ConsumerConfig.GROUP_ID_CONFIG, liveGroup));
                 Admin admin = Clients.admin(broker)) {
                live.subscribe(List.of(subscribed));
                Await.until(Clients.TIMEOUT, "the live member owns its partition", () -> {
                    live.poll(Duration.ofMillis(50));
                    return live.assignment().size() == 1;
                });
                live.commitSync(Map.of(kept, new OffsetAndMetadata(3), dropped, new OffsetAndMetadata(4)));
                Clients.get(admin.alterConsumerGroupOffsets(simpleGroup, Map.of(kept, new OffsetAndMetadata(7))).all());

                Await.until(Duration.ofSeconds(150), "offsets expire", () -> {
                    live.poll(Duration.ofMillis(50));
                    Set<String> groups = Clients.get(admin.listGroups().all()).stream().map(GroupListing::groupId)
                            .collect(Collectors.toSet());
                    return !groups.contains(emptyGroup) && !groups.contains(simpleGroup)
                            && Clients.get(admin.listConsumerGroupOffsets(liveGroup).partitionsToOffsetAndMetadata())
                            .keySet().equals(Set.of(kept));
                });
                assertEquals(3, Clients.get(admin.listConsumerGroupOffsets(liveGroup).partitionsToOffsetAndMetadata())
                        .get(kept).offset(), "the subscribed topic's offset is kept");
                assertTrue(Clients.get(admin.listConsumerGroupOffsets(emptyGroup).partitionsToOffsetAndMetadata())
                        .isEmpty(), "the empty group's offsets are gone");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void offsetsOfADeletedTopicDoNotApplyToATopicRecreatedWithItsName(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-deleted");
        String group = Clients.uniqueTopic("group-deleted");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        produce(broker, topic, 0, 10);
        commitAfterReading(broker, group, topic, 6);
        try (Admin admin = Clients.admin(broker)) {
            Clients.get(admin.deleteTopics(List.of(topic)).all());
            Await.until(Clients.TIMEOUT, "the topic is deleted", () -> !Clients.get(admin.listTopics().names()).contains(topic));
            Await.until(Clients.TIMEOUT, "the group's offsets of the deleted topic are gone", () ->
                    Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).isEmpty());
        }
        Clients.createTopics(broker, Clients.topic(topic, 1));
        produce(broker, topic, 0, 2);
        assertEquals(List.of(0L, 1L), readFromCommitted(broker, group, topic, 2), "the new topic is read from its start");
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> protocols() {
        return Target.selectedWith("range", "consumer-range");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("protocols")
    void aRestartedStaticMemberGetsItsPartitionsBackWithoutARebalance(Target target, String assignor) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("group-static");
        String group = Clients.uniqueTopic("group-static");
        Clients.createTopics(broker, Clients.topic(topic, 4));
        try (KafkaConsumer<String, String> first = staticMember(broker, group, "first", topic, assignor)) {
            KafkaConsumer<String, String> second = staticMember(broker, group, "second", topic, assignor);
            Set<TopicPartition> secondOwned;
            int generation;
            try {
                Await.until(Clients.TIMEOUT, "both static members own two partitions", () -> {
                    first.poll(Duration.ofMillis(50));
                    second.poll(Duration.ofMillis(50));
                    return first.assignment().size() == 2 && second.assignment().size() == 2;
                });
                secondOwned = Set.copyOf(second.assignment());
                generation = first.groupMetadata().generationId();
            } finally {
                second.close(); // a static member does not leave the group when it closes
            }
            try (KafkaConsumer<String, String> again = staticMember(broker, group, "second", topic, assignor)) {
                Await.until(Clients.TIMEOUT, "the restarted member has partitions", () -> {
                    again.poll(Duration.ofMillis(50));
                    first.poll(Duration.ofMillis(50));
                    return !again.assignment().isEmpty();
                });
                assertEquals(secondOwned, again.assignment(), "the same partitions as before the restart");
                assertEquals(generation, again.groupMetadata().generationId(), "no new generation");
                assertEquals(generation, first.groupMetadata().generationId(), "the other member was not disturbed");
            }
        }
    }

    private static KafkaConsumer<String, String> staticMember(Broker broker, String group, String instance, String topic,
                                                              String assignor) {
        Map<String, Object> settings = new HashMap<>(groupSettings(group, assignor));
        settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
        KafkaConsumer<String, String> consumer = Clients.consumer(broker, settings);
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static void produce(Broker broker, String topic, int partition, int count) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, partition, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    /** A group member reads everything, commits {@code offset} with metadata, and leaves. */
    private static void commitAfterReading(Broker broker, String group, String topic, long offset) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.subscribe(List.of(topic));
            Set<Long> seen = new HashSet<>();
            Await.until(Clients.TIMEOUT, "the consumer reads the partition", () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.offset()));
                return seen.size() >= 10;
            });
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(offset, "checkpoint-" + offset)));
            OffsetAndMetadata committed = consumer.committed(Set.of(tp), Clients.TIMEOUT).get(tp);
            assertEquals(offset, committed.offset());
            assertEquals("checkpoint-" + offset, committed.metadata(), "metadata round-trips");
        }
    }

    /** Offsets a new member of the group reads first, starting from the group's committed offset. */
    private static List<Long> readFromCommitted(Broker broker, String group, String topic, int count) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.subscribe(List.of(topic));
            List<Long> offsets = new ArrayList<>();
            Await.until(Clients.TIMEOUT, "the new consumer reads " + count + " records", () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> offsets.add(r.offset()));
                return offsets.size() >= count;
            });
            return offsets;
        }
    }
}
