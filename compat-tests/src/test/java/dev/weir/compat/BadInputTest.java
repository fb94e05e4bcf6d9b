package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input never crashes the broker: it gets the error Kafka gives, or Kafka's closed connection,
 * and afterwards the broker process is alive, a connection opened before the bad input still gets
 * answers, a new client still produces and consumes, and the records stored before are intact.
 */
class BadInputTest {
    private static final int SOCKET_REQUEST_MAX_BYTES = 1024 * 1024;
    private static final int MESSAGE_MAX_BYTES = 100 * 1024;
    /** Produce v12 is the newest version that names topics (v13 uses topic ids); Kafka 4.4 serves 3 to 13. */
    private static final short PRODUCE_VERSION = 12;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);

    @RegisterExtension
    static final Brokers brokers = Brokers.dedicated("bad-input", Map.of(
            "auto.create.topics.enable", "false",
            "message.max.bytes", Integer.toString(MESSAGE_MAX_BYTES),
            "socket.request.max.bytes", Integer.toString(SOCKET_REQUEST_MAX_BYTES)));

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aFrameLargerThanSocketRequestMaxBytesClosesOnlyThatConnection(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "oversized")) {
            for (int size : new int[] {SOCKET_REQUEST_MAX_BYTES + 1, Integer.MAX_VALUE}) {
                try (RawKafkaConnection bad = RawKafkaConnection.open(survivors.broker)) {
                    ByteBuffer frame = ByteBuffer.allocate(4 + 16).putInt(size);
                    bad.writeRaw(frame.array());
                    assertTrue(bad.closedByBrokerWithin(CLOSE_TIMEOUT), "a frame announcing " + size + " bytes closes the connection");
                }
                survivors.assertStillServing();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void garbageBytesCloseOnlyThatConnection(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "garbage")) {
            List<byte[]> garbage = new ArrayList<>();
            garbage.add("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            garbage.add(frame(new byte[] {0, 3, 0}));  // shorter than any request header
            garbage.add(frame(metadataHeaderFollowedBy(filled(64, (byte) 0xFF))));  // valid header, unparseable body
            garbage.add(frame(filled(64, (byte) 0xFF)));  // api key -1
            for (byte[] bytes : garbage) {
                try (RawKafkaConnection bad = RawKafkaConnection.open(survivors.broker)) {
                    bad.writeRaw(bytes);
                    assertTrue(bad.closedByBrokerWithin(CLOSE_TIMEOUT), "garbage closes the connection: " + Arrays.toString(
                            Arrays.copyOf(bytes, Math.min(16, bytes.length))));
                }
                survivors.assertStillServing();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anUnknownApiKeyClosesOnlyThatConnection(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "unknown-api")) {
            ByteBuffer header = ByteBuffer.allocate(2 + 2 + 4 + 2 + 4);
            header.putShort((short) 31_999).putShort((short) 0).putInt(7).putShort((short) 4)
                    .put("test".getBytes(StandardCharsets.US_ASCII));
            try (RawKafkaConnection bad = RawKafkaConnection.open(survivors.broker)) {
                bad.writeRaw(frame(header.array()));
                assertTrue(bad.closedByBrokerWithin(CLOSE_TIMEOUT), "api key 31999 closes the connection");
            }
            survivors.assertStillServing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void apiVersionsAtAnUnsupportedVersionAnswersUnsupportedVersionWithTheSupportedRange(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "api-versions-127");
             RawKafkaConnection connection = RawKafkaConnection.open(survivors.broker)) {
            // What a client newer than the broker sends: ApiVersions at a version the broker does not know.
            RequestHeader header = connection.header(ApiKeys.API_VERSIONS, (short) 127);
            connection.writeFrame(RequestUtils.serialize(header.data(), header.headerVersion(),
                    new ApiVersionsRequestData().setClientSoftwareName("weir-compat").setClientSoftwareVersion("1"),
                    ApiKeys.API_VERSIONS.latestVersion()));

            // The answer is a v0 body: error UNSUPPORTED_VERSION (35) and the ApiVersions range the broker supports.
            ByteBuffer response = connection.readFrame();
            assertEquals(header.correlationId(), ResponseHeader.parse(response, (short) 0).correlationId(), "correlation id");
            ApiVersionsResponseData body = new ApiVersionsResponseData(new ByteBufferAccessor(response), (short) 0);
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), body.errorCode(), "error code");
            ApiVersionsResponseData.ApiVersion apiVersions = body.apiKeys().find(ApiKeys.API_VERSIONS.id);
            assertEquals(0, apiVersions.minVersion(), "lowest ApiVersions version");
            assertEquals(ApiKeys.API_VERSIONS.latestVersion(), apiVersions.maxVersion(), "highest ApiVersions version (Kafka 4.4's)");
            assertEquals(1, body.apiKeys().size(), "like Kafka, the error response lists only the ApiVersions range: " + body);

            // The connection stays open: a client retries at the highest version offered, on the same socket.
            ApiVersionsResponse retry = connection.exchange(new ApiVersionsRequest.Builder().build(apiVersions.maxVersion()));
            assertEquals(Errors.NONE.code(), retry.data().errorCode(), "ApiVersions at the offered version");
            survivors.assertStillServing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anotherApiAtAnUnsupportedVersionClosesOnlyThatConnection(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "metadata-999");
             RawKafkaConnection bad = RawKafkaConnection.open(survivors.broker)) {
            RequestHeader header = bad.header(ApiKeys.METADATA, (short) 999);
            bad.writeFrame(RequestUtils.serialize(header.data(), header.headerVersion(),
                    new MetadataRequestData().setTopics(null), ApiKeys.METADATA.latestVersion()));
            assertTrue(bad.closedByBrokerWithin(CLOSE_TIMEOUT), "Metadata v999 closes the connection");
            survivors.assertStillServing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aBatchWithABadCrcIsRejectedAsCorruptMessageAndNothingIsStored(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "corrupt-crc");
             RawKafkaConnection connection = RawKafkaConnection.open(survivors.broker)) {
            MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(System.currentTimeMillis(), "k".getBytes(StandardCharsets.UTF_8), "payload-1".getBytes(StandardCharsets.UTF_8)),
                    new SimpleRecord(System.currentTimeMillis(), "k".getBytes(StandardCharsets.UTF_8), "payload-2".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer bytes = records.buffer();
            // the last byte of the last record's value (its header count follows): covered by the CRC
            int position = bytes.limit() - 2;
            bytes.put(position, (byte) (bytes.get(position) ^ 0x01));

            ProduceResponse response = connection.exchange(produce(survivors.topic, MemoryRecords.readableRecords(bytes)));
            assertEquals(Errors.CORRUPT_MESSAGE, partitionError(response), "a batch whose CRC does not match");
            survivors.assertStillServing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aRecordOverMessageMaxBytesIsRejectedAsTooLarge(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "too-large");
             RawKafkaConnection connection = RawKafkaConnection.open(survivors.broker)) {
            byte[] big = filled(2 * MESSAGE_MAX_BYTES, (byte) 'x');
            try (KafkaProducer<byte[], byte[]> producer = Clients.bytesProducer(survivors.broker, Map.of())) {
                RuntimeException error = assertThrows(RuntimeException.class,
                        () -> Clients.get(producer.send(new ProducerRecord<>(survivors.topic, 0, null, big))));
                assertInstanceOf(RecordTooLargeException.class, error, "what the producer reports");
            }
            MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(System.currentTimeMillis(), null, big));
            ProduceResponse response = connection.exchange(produce(survivors.topic, records));
            assertEquals(Errors.MESSAGE_TOO_LARGE, partitionError(response), "a batch over message.max.bytes");
            survivors.assertStillServing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void producingToAMissingTopicWithAutoCreationOffFailsWithUnknownTopicOrPartition(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "missing-topic");
             RawKafkaConnection connection = RawKafkaConnection.open(survivors.broker)) {
            String missing = Clients.uniqueTopic("never-created");

            MetadataResponse metadata = connection.exchange(new MetadataRequest.Builder(List.of(missing), true).build());
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), metadata.data().topics().find(missing).errorCode(),
                    "Metadata for a missing topic, auto-creation requested but disabled on the broker");

            MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(System.currentTimeMillis(), null, "lost".getBytes(StandardCharsets.UTF_8)));
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, partitionError(connection.exchange(produce(missing, records))),
                    "Produce to a missing topic");

            try (KafkaProducer<String, String> producer = Clients.producer(survivors.broker, Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000))) {
                RuntimeException error = assertThrows(RuntimeException.class,
                        () -> Clients.get(producer.send(new ProducerRecord<>(missing, "k", "v"))));
                assertInstanceOf(TimeoutException.class, error, "the producer waits for the topic, then times out");
            }
            try (Admin admin = Clients.admin(survivors.broker)) {
                assertFalse(Clients.get(admin.listTopics().names()).contains(missing), "no topic was created");
            }
            survivors.assertStillServing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void invalidTopicNamesAreRejectedWithInvalidTopic(Target target) {
        try (Survivors survivors = new Survivors(brokers.on(target), "invalid-names");
             Admin admin = Clients.admin(survivors.broker)) {
            for (String name : List.of("has space", "slash/y", "..", "", "x".repeat(250))) {
                assertThrows(InvalidTopicException.class,
                        () -> Clients.get(admin.createTopics(List.of(Clients.topic(name, 1))).all()), "topic name '" + name + "'");
            }
            assertTrue(Clients.get(admin.listTopics().names()).stream().noneMatch(n -> n.contains(" ") || n.contains("/")),
                    "no invalid topic was created");
            survivors.assertStillServing();
        }
    }

    private static ProduceRequest produce(String topic, MemoryRecords records) {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic)
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        return ProduceRequest.builder(data).build(PRODUCE_VERSION);
    }

    private static Errors partitionError(ProduceResponse response) {
        return Errors.forCode(response.data().responses().iterator().next().partitionResponses().get(0).errorCode());
    }

    private static byte[] metadataHeaderFollowedBy(byte[] body) {
        RequestHeader header = new RequestHeader(ApiKeys.METADATA, (short) 12, "weir-compat-raw", 1);
        ByteBuffer serializedHeader = MessageUtil.toByteBufferAccessor(header.data(), header.headerVersion()).buffer();
        return ByteBuffer.allocate(serializedHeader.remaining() + body.length).put(serializedHeader).put(body).array();
    }

    private static byte[] frame(byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
    }

    private static byte[] filled(int size, byte value) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, value);
        return bytes;
    }

    /**
     * The proof that bad input harmed nobody else: a topic with records written before it, and a
     * connection opened before it. {@link #assertStillServing} checks the process, that connection,
     * a new producer and consumer, and the earlier records.
     */
    private static final class Survivors implements AutoCloseable {
        final Broker broker;
        final String topic;
        private final RawKafkaConnection bystander;
        private final List<String> expected = new ArrayList<>();

        Survivors(Broker broker, String name) {
            this.broker = broker;
            this.topic = Clients.uniqueTopic(name);
            Clients.createTopics(broker, Clients.topic(topic, 1));
            produce("before-" + name);
            this.bystander = RawKafkaConnection.open(broker);
        }

        void assertStillServing() {
            assertTrue(broker.isAlive(), broker + " is still running");
            ApiVersionsResponse response = bystander.exchange(new ApiVersionsRequest.Builder().build(ApiKeys.API_VERSIONS.latestVersion()));
            assertEquals(Errors.NONE.code(), response.data().errorCode(), "a connection opened before the bad input still gets answers");
            produce("after-" + expected.size());
            List<String> stored;
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                stored = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0))).stream().map(ConsumerRecord::value).toList();
            }
            assertEquals(expected, stored, "records stored before and after the bad input");
        }

        private void produce(String value) {
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                assertEquals(expected.size(), Clients.get(producer.send(new ProducerRecord<>(topic, 0, null, value))).offset(),
                        "a new producer appends at the expected offset");
            }
            expected.add(value);
        }

        @Override
        public void close() {
            bystander.close();
        }
    }
}
