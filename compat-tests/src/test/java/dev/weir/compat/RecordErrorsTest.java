package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-record produce errors (KIP-467): a batch in which some records are invalid is refused whole, and
 * the answer (Produce v8+) names each invalid record by its index in the batch with its reason, so the
 * client fails exactly those records with that reason and the others as collateral of their batch.
 */
class RecordErrorsTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    /** kafka-clients' words for a record that was valid but shared its batch with invalid ones. */
    private static final String COLLATERAL =
            "Failed to append record because it was part of a batch which had one more more invalid records";

    static Stream<Arguments> targetsAndVersions() {
        return Target.selectedWith((short) 8, (short) 13);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void keylessRecordsInABatchToACompactedTopicFailAloneWithInvalidRecord(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("kip467-keyless");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("cleanup.policy", "compact")));
        // A long linger: the five sends leave as one batch when flush() is called.
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.LINGER_MS_CONFIG, 60_000, ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20))) {
            List<String> keys = java.util.Arrays.asList("k0", null, "k2", null, "k4");
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (String key : keys) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, key, "v")));
            }
            producer.flush();
            String keyless = "Compacted topic cannot accept message without key in topic partition " + topic + "-0";
            List<String> seen = new ArrayList<>();
            for (Future<RecordMetadata> f : sent) {
                seen.add(outcome(f));
            }
            assertEquals(List.of(KafkaException.class.getName() + ": " + COLLATERAL,
                    InvalidRecordException.class.getName() + ": " + keyless,
                    KafkaException.class.getName() + ": " + COLLATERAL,
                    InvalidRecordException.class.getName() + ": " + keyless,
                    KafkaException.class.getName() + ": " + COLLATERAL), seen);
            Future<RecordMetadata> after = producer.send(new ProducerRecord<>(topic, 0, "k", "after"));
            producer.flush();
            assertEquals("offset 0", outcome(after), "the refused batch took no offsets, and the producer carries on");
        }
    }

    @ParameterizedTest(name = "{0} v{1}")
    @MethodSource("targetsAndVersions")
    void theAnswerNamesEachKeylessRecordByItsBatchIndex(Target target, short version) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("kip467-raw");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("cleanup.policy", "compact,delete")));
        TopicPartition tp = new TopicPartition(topic, 0);
        Uuid topicId;
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of());
             Admin admin = Clients.admin(broker)) {
            for (int i = 0; i < 3; i++) {
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)));
            }
            Clients.get(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(2))).all());
            topicId = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).topicId();
        }
        String keyless = "Compacted topic cannot accept message without key in topic partition " + topic + "-0";
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            PartitionProduceResponse answer = produce(connection, topic, topicId, version,
                    record("a"), record(null), record("b"), record(null));
            assertEquals("error=INVALID_RECORD message=One or more records have been rejected due to 2 record errors in "
                    + "total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='"
                    + keyless + "'), RecordError(batchIndex=3, message='" + keyless + "')] recordErrors=[1: " + keyless
                    + ", 3: " + keyless + "] baseOffset=-1 logAppendTimeMs=-1 logStartOffset=2", describe(answer));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void recordsOutsideTheTimestampWindowAreNamedWithInvalidTimestamp(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("kip467-time");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("message.timestamp.before.max.ms", "3600000")));
        long old = System.currentTimeMillis() - TimeUnit.DAYS.toMillis(2);
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            long now = System.currentTimeMillis();
            PartitionProduceResponse answer = produce(connection, topic, Uuid.ZERO_UUID, (short) 12,
                    new SimpleRecord(now, null, bytes("fresh")), new SimpleRecord(old, null, bytes("stale")),
                    new SimpleRecord(now, null, bytes("fresh")));
            String description = describe(answer);
            assertTrue(description.matches("error=INVALID_TIMESTAMP message=One or more records have been rejected due to"
                    + " invalid timestamp recordErrors=\\[1: Timestamp " + old + " of message with offset 1 is out of "
                    + "range\\. The timestamp should be within \\[-?\\d+, -?\\d+\\]\\] baseOffset=-1 logAppendTimeMs=-1 "
                    + "logStartOffset=0"), description);
        }
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.LINGER_MS_CONFIG, 60_000))) {
            Future<RecordMetadata> fresh = producer.send(new ProducerRecord<>(topic, 0, System.currentTimeMillis(), null, "a"));
            Future<RecordMetadata> stale = producer.send(new ProducerRecord<>(topic, 0, old, null, "b"));
            producer.flush();
            assertTrue(outcome(stale).startsWith(InvalidTimestampException.class.getName() + ": Timestamp " + old),
                    outcome(stale));
            assertEquals(KafkaException.class.getName() + ": " + COLLATERAL, outcome(fresh));
        }
    }

    /** Weir's own header checks name the records that fail them; Kafka stores these headers and ignores them. */
    @Test
    void weirHeaderChecksNameTheRecordsThatFailThem() {
        Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir is not a selected target");
        Broker broker = brokers.on(Target.WEIR);
        String compacted = Clients.uniqueTopic("kip467-keyed");
        String plain = Clients.uniqueTopic("kip467-plain");
        Clients.createTopics(broker, Clients.topic(compacted, 1, Map.of("cleanup.policy", "compact")),
                Clients.topic(plain, 1));
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            PartitionProduceResponse first = produce(connection, compacted, Uuid.ZERO_UUID, (short) 12, record("a"));
            assertEquals(Errors.NONE.code(), first.errorCode(), describe(first));

            // Records 1 and 3 expect what is not so; record 2 sees the offset record 0 leaves for b.
            PartitionProduceResponse keyed = produce(connection, compacted, Uuid.ZERO_UUID, (short) 12,
                    record("b", "weir.expect-key-offset", "-1"), record("a", "weir.expect-key-offset", "5"),
                    record("b", "weir.expect-key-offset", "1"), record("d", "weir.expect-key-offset", "9"));
            String a = "weir.expect-key-offset 5 for key 'a' does not match the key's latest offset 0 in " + compacted + "-0";
            String d = "weir.expect-key-offset 9 for key 'd' does not match the key's latest offset -1 in " + compacted + "-0";
            assertEquals("error=INVALID_RECORD message=One or more records have been rejected due to 2 record errors in "
                    + "total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='" + a
                    + "'), RecordError(batchIndex=3, message='" + d + "')] recordErrors=[1: " + a + ", 3: " + d
                    + "] baseOffset=-1 logAppendTimeMs=-1 logStartOffset=0", describe(keyed));

            PartitionProduceResponse malformed = produce(connection, compacted, Uuid.ZERO_UUID, (short) 8,
                    record("c"), record("c", "weir.expect-key-offset", "one"));
            String notAnOffset = "Header weir.expect-key-offset must be an offset in ASCII decimal digits, not 'one'";
            assertEquals("error=INVALID_RECORD message=One or more records have been rejected due to 1 record errors in "
                    + "total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='"
                    + notAnOffset + "')] recordErrors=[1: " + notAnOffset + "] baseOffset=-1 logAppendTimeMs=-1 "
                    + "logStartOffset=0", describe(malformed));

            // The batch's condition rides on its first record, so that is the record named.
            PartitionProduceResponse stale = produce(connection, plain, Uuid.ZERO_UUID, (short) 12,
                    record("x", "weir.expect-offset", "9"), record("y"), record("z", "weir.note-time", "soon"));
            String offset = "weir.expect-offset 9 does not match the partition's end offset 0";
            String time = "Header weir.note-time must be a time in epoch milliseconds, in ASCII decimal digits, not 'soon'";
            assertEquals("error=INVALID_RECORD message=One or more records have been rejected due to 1 record errors in "
                    + "total, and only showing the first three errors at most: [RecordError(batchIndex=2, message='"
                    + time + "')] recordErrors=[2: " + time + "] baseOffset=-1 logAppendTimeMs=-1 logStartOffset=0",
                    describe(stale), "a malformed header is found before the batch's condition is checked");
            PartitionProduceResponse conditional = produce(connection, plain, Uuid.ZERO_UUID, (short) 12,
                    record("x", "weir.expect-offset", "9"), record("y"), record("z"));
            assertEquals("error=INVALID_RECORD message=One or more records have been rejected due to 1 record errors in "
                    + "total, and only showing the first three errors at most: [RecordError(batchIndex=0, message='"
                    + offset + "')] recordErrors=[0: " + offset + "] baseOffset=-1 logAppendTimeMs=-1 logStartOffset=0",
                    describe(conditional));
        }
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.LINGER_MS_CONFIG, 60_000))) {
            Future<RecordMetadata> before = producer.send(new ProducerRecord<>(compacted, 0, "e", "v"));
            ProducerRecord<String, String> conflicting = new ProducerRecord<>(compacted, 0, "a", "v");
            conflicting.headers().add("weir.expect-key-offset", bytes("-1"));
            Future<RecordMetadata> failing = producer.send(conflicting);
            Future<RecordMetadata> after = producer.send(new ProducerRecord<>(compacted, 0, "f", "v"));
            producer.flush();
            assertEquals(InvalidRecordException.class.getName() + ": weir.expect-key-offset -1 for key 'a' does not match "
                    + "the key's latest offset 0 in " + compacted + "-0", outcome(failing));
            assertEquals(KafkaException.class.getName() + ": " + COLLATERAL, outcome(before));
            assertEquals(KafkaException.class.getName() + ": " + COLLATERAL, outcome(after));
        }
    }

    /** The exception a send ended with, as "class: message", or "offset N" if it succeeded. */
    private static String outcome(Future<RecordMetadata> f) {
        try {
            return "offset " + f.get(Clients.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException e) {
            return e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
        } catch (Exception e) {
            throw new AssertionError("no outcome for a send", e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A record with a key (or none) and at most one header. */
    private static SimpleRecord record(String key, String header, String value) {
        Header[] headers = header == null ? new Header[0] : new Header[] {new RecordHeader(header, bytes(value))};
        return new SimpleRecord(System.currentTimeMillis(), key == null ? null : bytes(key), bytes("v"), headers);
    }

    private static SimpleRecord record(String key) {
        return record(key, null, null);
    }

    /** Produces one batch of the records to partition 0 (by topic id from v13) and returns the partition's answer. */
    private static PartitionProduceResponse produce(RawKafkaConnection connection, String topic, Uuid topicId,
                                                    short version, SimpleRecord... records) {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setTopicId(topicId)
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(MemoryRecords.withRecords(Compression.NONE, records)))));
        ProduceResponse response = connection.exchange(ProduceRequest.builder(data).build(version));
        return response.data().responses().iterator().next().partitionResponses().get(0);
    }

    /** Every field of a partition's answer that KIP-467 concerns, in one line to compare. */
    private static String describe(PartitionProduceResponse p) {
        return "error=" + Errors.forCode(p.errorCode()).name() + " message=" + p.errorMessage()
                + " recordErrors=" + p.recordErrors().stream()
                        .map(e -> e.batchIndex() + ": " + e.batchIndexErrorMessage()).collect(Collectors.joining(", ", "[", "]"))
                + " baseOffset=" + p.baseOffset() + " logAppendTimeMs=" + p.logAppendTimeMs()
                + " logStartOffset=" + p.logStartOffset();
    }
}
