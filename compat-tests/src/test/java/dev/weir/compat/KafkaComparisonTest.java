package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The same scenarios run against the Weir gateway and a real Apache Kafka 4.4 broker; what the
 * client observes (offsets, timestamps, records, configs, error types) must be identical. Only
 * what legitimately differs between two brokers (topic names and ids, node ids, wall-clock
 * times, leader epochs, error message texts) is left out of the observations.
 *
 * <p>With {@code -Dweir.compat.target=kafka} the scenarios run twice against Kafka, which checks
 * that the observations are deterministic.
 */
class KafkaComparisonTest {
    private static final long BASE = 1_700_000_000_000L;
    /**
     * Topic configs whose source depends on how the cluster was set up, not on broker behaviour:
     * Kafka 4.x's storage format writes a cluster-wide min.insync.replicas (for eligible leader
     * replicas), so Kafka reports DYNAMIC_DEFAULT_BROKER_CONFIG where an unset one is DEFAULT_CONFIG.
     */
    private static final Set<String> SOURCE_SET_BY_DEPLOYMENT = Set.of("min.insync.replicas");

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @Test
    void producingConsumingAndListingOffsetsObserveWhatKafkaObserves() {
        assertSameObservations("round-trip", KafkaComparisonTest::roundTrip);
    }

    @Test
    void topicConfigsDescribeAsKafkaDescribesThem() {
        assertSameObservations("topic-configs", KafkaComparisonTest::topicConfigs);
    }

    @Test
    void rejectedRequestsFailWithTheErrorsKafkaReturns() {
        assertSameObservations("errors", KafkaComparisonTest::errors);
    }

    /** Runs the scenario on Kafka, then on the candidate; keeps both observation lists under target/compat-logs. */
    private static void assertSameObservations(String name, Function<Broker, List<String>> scenario) {
        Broker kafka = brokers.on(Target.KAFKA);
        Broker candidate = brokers.on(Target.isSelected(Target.WEIR) ? Target.WEIR : Target.KAFKA);
        List<String> expected = record(name + "-kafka", scenario.apply(kafka));
        List<String> actual = record(name + "-" + candidate.target() + "-candidate", scenario.apply(candidate));
        int firstDifference = IntStream.range(0, Math.min(expected.size(), actual.size()))
                .filter(i -> !expected.get(i).equals(actual.get(i))).findFirst()
                .orElse(Math.min(expected.size(), actual.size()));
        assertEquals(String.join("\n", expected), String.join("\n", actual),
                () -> candidate.target() + " observed differently from Kafka, first at observation " + firstDifference
                        + ":\n  kafka: " + (firstDifference < expected.size() ? expected.get(firstDifference) : "<nothing>")
                        + "\n  " + candidate.target() + ": " + (firstDifference < actual.size() ? actual.get(firstDifference) : "<nothing>"));
    }

    private static List<String> record(String name, List<String> observations) {
        try {
            Files.write(CompatPaths.newLogFile("comparison-" + name, ".txt"), observations, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return observations;
    }

    /** Produce with three codecs, read back, list offsets every way, delete records, read from below the start. */
    private static List<String> roundTrip(Broker broker) {
        List<String> seen = new ArrayList<>();
        String topic = Clients.uniqueTopic("compare");
        Clients.createTopics(broker, Clients.topic(topic, 3));

        // partition 0: uncompressed, one record at a time, one timestamp out of order
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < 6; i++) {
                long timestamp = i == 3 ? BASE + 50_000 : BASE + i * 1_000L;
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, timestamp, "k" + i, "v" + i);
                record.headers().add(new RecordHeader("i", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
                seen.add("ack " + ack(Clients.get(producer.send(record))));
            }
        }
        // partition 1: lz4 batches; partition 2: gzip with null keys and values
        sendBatch(broker, seen, "lz4", IntStream.range(0, 12).mapToObj(i ->
                new ProducerRecord<>(topic, 1, BASE + 10_000 + i, "key-" + (i % 4), "lz4-value-" + i)).toList());
        sendBatch(broker, seen, "gzip", IntStream.range(0, 8).mapToObj(i ->
                new ProducerRecord<>(topic, 2, BASE + 20_000 + i, i % 2 == 0 ? null : "k" + i, i % 3 == 0 ? null : "gzip-" + i)).toList());

        List<TopicPartition> partitions = IntStream.range(0, 3).mapToObj(p -> new TopicPartition(topic, p)).toList();
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            Clients.readToEnd(consumer, partitions).stream()
                    .sorted(Comparator.comparingInt((ConsumerRecord<String, String> r) -> r.partition()).thenComparingLong(ConsumerRecord::offset))
                    .forEach(r -> seen.add("record p" + r.partition() + " @" + r.offset() + " ts=" + r.timestamp() + " " + r.timestampType()
                            + " key=" + r.key() + " value=" + r.value() + " keySize=" + r.serializedKeySize()
                            + " valueSize=" + r.serializedValueSize() + " headers=" + ProduceConsumeTest.headersText(r.headers())));
            seen.add("beginning " + consumer.beginningOffsets(partitions, Clients.TIMEOUT).entrySet().stream()
                    .sorted(Map.Entry.comparingByKey(Comparator.comparingInt(TopicPartition::partition))).map(e -> e.getValue().toString()).toList());
            seen.add("end " + consumer.endOffsets(partitions, Clients.TIMEOUT).entrySet().stream()
                    .sorted(Map.Entry.comparingByKey(Comparator.comparingInt(TopicPartition::partition))).map(e -> e.getValue().toString()).toList());
            for (long time : new long[] {BASE - 1, BASE + 1_500, BASE + 10_005, BASE + 49_000, BASE + 100_000}) {
                for (TopicPartition partition : partitions) {
                    OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(partition, time), Clients.TIMEOUT).get(partition);
                    seen.add("offsetsForTimes p" + partition.partition() + " " + time + " -> "
                            + (found == null ? "null" : found.offset() + "@" + found.timestamp()));
                }
            }
        }
        try (Admin admin = Clients.admin(broker)) {
            for (TopicPartition partition : partitions) {
                for (Map.Entry<String, OffsetSpec> spec : specs().entrySet()) {
                    ListOffsetsResultInfo info = Clients.get(admin.listOffsets(Map.of(partition, spec.getValue())).partitionResult(partition));
                    seen.add("listOffsets p" + partition.partition() + " " + spec.getKey() + " -> " + info.offset() + "@" + info.timestamp());
                }
            }
            TopicPartition p1 = partitions.get(1);
            seen.add("deleteRecords p1 before 5 -> low watermark "
                    + Clients.get(admin.deleteRecords(Map.of(p1, RecordsToDelete.beforeOffset(5))).lowWatermarks().get(p1)).lowWatermark());
            ListOffsetsResultInfo earliest = Clients.get(admin.listOffsets(Map.of(p1, OffsetSpec.earliest())).partitionResult(p1));
            seen.add("listOffsets p1 earliest after delete -> " + earliest.offset());
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))) {
            TopicPartition p1 = partitions.get(1);
            consumer.assign(List.of(p1));
            consumer.seek(p1, 0);
            List<ConsumerRecord<String, String>> rest = Clients.readUntil(consumer, Map.of(p1, 12L));
            seen.add("read p1 from 0 after delete -> offsets " + rest.stream().map(ConsumerRecord::offset).toList());
        }

        // a LogAppendTime topic: the broker's clock replaces CreateTime in the ack and in the stored record
        String appendTimeTopic = Clients.uniqueTopic("compare-log-append-time");
        Clients.createTopics(broker, Clients.topic(appendTimeTopic, 1, Map.of("message.timestamp.type", "LogAppendTime")));
        long before = System.currentTimeMillis();
        RecordMetadata appended;
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            appended = Clients.get(producer.send(new ProducerRecord<>(appendTimeTopic, 0, BASE, "k", "v")));
        }
        long after = System.currentTimeMillis();
        seen.add("LogAppendTime ack offset=" + appended.offset() + " timestamp is broker time: "
                + (appended.timestamp() >= before - 1_000 && appended.timestamp() <= after + 1_000));
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            ConsumerRecord<String, String> stored = Clients.readToEnd(consumer, List.of(new TopicPartition(appendTimeTopic, 0))).get(0);
            seen.add("LogAppendTime record type=" + stored.timestampType() + " equals ack timestamp: " + (stored.timestamp() == appended.timestamp()));
        }
        return seen;
    }

    private static Map<String, OffsetSpec> specs() {
        Map<String, OffsetSpec> specs = new LinkedHashMap<>();
        specs.put("earliest", OffsetSpec.earliest());
        specs.put("latest", OffsetSpec.latest());
        specs.put("maxTimestamp", OffsetSpec.maxTimestamp());
        specs.put("forTimestamp(BASE+1500)", OffsetSpec.forTimestamp(BASE + 1_500));
        specs.put("forTimestamp(BASE+20003)", OffsetSpec.forTimestamp(BASE + 20_003));
        specs.put("forTimestamp(BASE+100000)", OffsetSpec.forTimestamp(BASE + 100_000));
        return specs;
    }

    private static void sendBatch(Broker broker, List<String> seen, String codec, List<ProducerRecord<String, String>> records) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.LINGER_MS_CONFIG, 1_000))) {
            List<Future<RecordMetadata>> futures = records.stream().map(producer::send).toList();
            producer.flush();
            futures.forEach(f -> seen.add("ack " + codec + " " + ack(Clients.get(f))));
        }
    }

    private static String ack(RecordMetadata metadata) {
        return "p" + metadata.partition() + " @" + metadata.offset() + " ts=" + metadata.timestamp()
                + " keySize=" + metadata.serializedKeySize() + " valueSize=" + metadata.serializedValueSize();
    }

    /** Every topic config Kafka describes, with value, source and flags. */
    private static List<String> topicConfigs(Broker broker) {
        String topic = Clients.uniqueTopic("compare-configs");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("retention.ms", "3600000", "cleanup.policy", "compact")));
        ConfigResource resource = TopicConfigTest.topicResource(topic);
        List<String> seen = new ArrayList<>();
        try (Admin admin = Clients.admin(broker)) {
            TopicConfigTest.alter(admin, resource,
                    new AlterConfigOp(new ConfigEntry("max.message.bytes", "500000"), AlterConfigOp.OpType.SET));
            Config config = TopicConfigTest.describe(admin, resource);
            config.entries().stream().sorted(Comparator.comparing(ConfigEntry::name)).forEach(e -> seen.add(
                    e.name() + "=" + e.value() + (SOURCE_SET_BY_DEPLOYMENT.contains(e.name()) ? ""
                            : " source=" + e.source() + " default=" + e.isDefault())
                            + " readOnly=" + e.isReadOnly() + " sensitive=" + e.isSensitive() + " type=" + e.type()));
        }
        return seen;
    }

    /** Requests Kafka rejects, each with the exception type the client raises (messages may differ). */
    private static List<String> errors(Broker broker) {
        String topic = Clients.uniqueTopic("compare-errors");
        String missing = Clients.uniqueTopic("compare-missing");
        Clients.createTopics(broker, Clients.topic(topic, 2, Map.of("max.message.bytes", "1000")));
        TopicPartition p0 = new TopicPartition(topic, 0);
        ConfigResource resource = TopicConfigTest.topicResource(topic);
        List<String> seen = new ArrayList<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000))) {
            outcome(seen, "create existing topic", () -> admin.createTopics(List.of(Clients.topic(topic, 2))).all());
            outcome(seen, "create with replication factor 3", () -> admin.createTopics(List.of(new NewTopic(missing, 1, (short) 3))).all());
            outcome(seen, "create with 0 partitions", () -> admin.createTopics(List.of(new NewTopic(missing, 0, (short) 1))).all());
            outcome(seen, "create with a space in the name", () -> admin.createTopics(List.of(Clients.topic("bad name", 1))).all());
            outcome(seen, "create named ..", () -> admin.createTopics(List.of(Clients.topic("..", 1))).all());
            outcome(seen, "create with a 250-character name", () -> admin.createTopics(List.of(Clients.topic("x".repeat(250), 1))).all());
            outcome(seen, "create with an unknown config", () -> admin.createTopics(List.of(Clients.topic(missing, 1, Map.of("no.such.config", "1")))).all());
            outcome(seen, "create with an invalid config value", () -> admin.createTopics(List.of(Clients.topic(missing, 1, Map.of("retention.ms", "soon")))).all());
            outcome(seen, "describe a missing topic", () -> admin.describeTopics(List.of(missing)).allTopicNames());
            outcome(seen, "describe an unknown topic id", () -> admin.describeTopics(TopicCollection.ofTopicIds(List.of(Uuid.randomUuid()))).allTopicIds());
            outcome(seen, "delete a missing topic", () -> admin.deleteTopics(List.of(missing)).all());
            outcome(seen, "delete an unknown topic id", () -> admin.deleteTopics(TopicCollection.ofTopicIds(List.of(Uuid.randomUuid()))).all());
            outcome(seen, "shrink partitions", () -> admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(1))).all());
            outcome(seen, "keep the partition count", () -> admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all());
            outcome(seen, "add partitions to a missing topic", () -> admin.createPartitions(Map.of(missing, NewPartitions.increaseTo(3))).all());
            outcome(seen, "describe configs of a missing topic", () -> admin.describeConfigs(List.of(TopicConfigTest.topicResource(missing))).all());
            outcome(seen, "alter an unknown config", () -> admin.incrementalAlterConfigs(Map.of(resource, List.of(
                    new AlterConfigOp(new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)))).all());
            outcome(seen, "alter a config to an invalid value", () -> admin.incrementalAlterConfigs(Map.of(resource, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)))).all());
            outcome(seen, "alter configs of a missing topic", () -> admin.incrementalAlterConfigs(Map.of(TopicConfigTest.topicResource(missing), List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all());
            outcome(seen, "delete records beyond the high watermark", () -> admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(10))).all());
            outcome(seen, "list offsets of a missing topic", () -> admin.listOffsets(Map.of(new TopicPartition(missing, 0), OffsetSpec.latest())).all());
        }
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            outcome(seen, "produce over the topic's max.message.bytes", () -> producer.send(new ProducerRecord<>(topic, 0, "k", "x".repeat(2_000))));
            outcome(seen, "produce within max.message.bytes", () -> producer.send(new ProducerRecord<>(topic, 0, "k", "small")));
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
            consumer.assign(List.of(p0));
            consumer.seek(p0, 5);
            seen.add("fetch beyond the end with auto.offset.reset=none -> " + pollOutcome(consumer));
        }
        return seen;
    }

    private static void outcome(List<String> seen, String what, Supplier<Future<?>> call) {
        String result;
        try {
            Object value = Clients.get(call.get());
            result = value instanceof RecordMetadata metadata ? "ok @" + metadata.offset() : "ok";
        } catch (RuntimeException e) {
            result = e.getClass().getName();
        }
        seen.add(what + " -> " + result);
    }

    private static String pollOutcome(KafkaConsumer<String, String> consumer) {
        return Await.value(Clients.TIMEOUT, "the consumer reports the position's fate", () -> {
            try {
                if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) {
                    return Optional.of("records");
                }
                return Optional.empty();
            } catch (RuntimeException e) {
                return Optional.of(e.getClass().getName());
            }
        });
    }
}
