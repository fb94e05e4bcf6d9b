package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * emulate.kafka.version: a Kafka 4.4 client against Weir answering as an old Kafka broker falls back
 * as it does against that broker. Weir only (no old Kafka broker is run here): the expected ranges
 * are the generated table (gateway's kafka-broker-versions.tsv) within what Weir serves unemulated.
 */
class VersionEmulationTest {
    private static final Path TABLE = CompatPaths.basedir().resolve("../gateway/src/main/resources").normalize();

    /** Weir as it is, for the ranges it serves and for contrast. */
    @RegisterExtension
    static final Brokers weir = Brokers.shared();
    @RegisterExtension
    static final Brokers kafka28 = Brokers.dedicated("emulate-2.8", Map.of("emulate.kafka.version", "2.8"));

    @BeforeAll
    static void weirIsSelected() {
        assumeTrue(Target.isSelected(Target.WEIR), "version emulation is Weir's; this run targets only Kafka");
    }

    @ParameterizedTest(name = "Kafka {0}")
    @ValueSource(strings = {"2.8", "3.0", "3.6", "3.9", "4.0"})
    void advertisesTheReleasesApisAndFeaturesWithinWhatWeirServes(String release) throws Exception {
        Map<Short, String> own = advertised(weir.on(Target.WEIR));
        Map<Short, String> expected = new TreeMap<>();
        for (String[] row : rows("kafka-broker-versions.tsv", release)) {
            String weirs = own.get(Short.parseShort(row[0]));
            if (!row[2].equals("-") && weirs != null) {
                String range = intersect(row[2], weirs);
                if (range != null) {
                    expected.put(Short.parseShort(row[0]), range);
                }
            }
        }
        try (GatewayProcess emulated = release.equals("2.8") ? null
                : GatewayProcess.start("emulate-" + release, Map.of("emulate.kafka.version", release))) {
            Broker broker = emulated != null ? emulated : kafka28.on(Target.WEIR);
            assertEquals(expected, advertised(broker), "ApiVersions of emulated Kafka " + release
                    + " (api key -> range)");

            Map<String, String> expectedSupported = new TreeMap<>();
            Map<String, Short> expectedFinalized = new TreeMap<>();
            for (String[] row : rows("kafka-broker-features.tsv", release)) {
                if (row[0].equals("feature") && !row[2].equals("-")) {
                    String[] parts = row[2].split("/");
                    expectedSupported.put(row[1], parts[0]);
                    if (!parts[1].equals("-")) {
                        expectedFinalized.put(row[1], Short.parseShort(parts[1]));
                    }
                }
            }
            try (Admin admin = Clients.admin(broker)) {
                FeatureMetadata features = Clients.get(admin.describeFeatures().featureMetadata());
                Map<String, String> supported = new TreeMap<>();
                features.supportedFeatures().forEach((name, r) -> supported.put(name, r.minVersion() + "-" + r.maxVersion()));
                Map<String, Short> finalized = new TreeMap<>();
                features.finalizedFeatures().forEach((name, r) -> finalized.put(name, r.maxVersionLevel()));
                assertEquals(expectedSupported, supported, "supported features, as Admin.describeFeatures shows them");
                assertEquals(expectedFinalized, finalized, "finalized features, as Admin.describeFeatures shows them");
            }
        }
    }

    @Test
    void kafka28HasNoKip848AndServesProduceUpToV9() {
        Map<Short, String> advertised = advertised(kafka28.on(Target.WEIR));
        assertEquals("0-9", advertised.get(ApiKeys.PRODUCE.id), "Produce");
        assertEquals("0-3", advertised.get(ApiKeys.API_VERSIONS.id), "ApiVersions");
        assertEquals("0-0", advertised.get(ApiKeys.DESCRIBE_CLUSTER.id), "DescribeCluster (new in 2.8)");
        assertNull(advertised.get(ApiKeys.CONSUMER_GROUP_HEARTBEAT.id), "ConsumerGroupHeartbeat (KIP-848, 3.7+)");
        assertNull(advertised.get(ApiKeys.DESCRIBE_TRANSACTIONS.id), "DescribeTransactions (3.0+)");
        assertNull(advertised.get(ApiKeys.DESCRIBE_TOPIC_PARTITIONS.id), "DescribeTopicPartitions (3.8+)");
    }

    @Test
    void apiVersionsAboveTheReleasesAnswerUnsupportedVersionWithItsRange() {
        try (RawKafkaConnection connection = RawKafkaConnection.open(kafka28.on(Target.WEIR))) {
            RequestHeader header = connection.header(ApiKeys.API_VERSIONS, (short) 4);
            connection.writeFrame(RequestUtils.serialize(header.data(), header.headerVersion(),
                    new ApiVersionsRequestData().setClientSoftwareName("weir-compat").setClientSoftwareVersion("1"),
                    (short) 4));
            ByteBuffer response = connection.readFrame();
            assertEquals(header.correlationId(), ResponseHeader.parse(response, (short) 0).correlationId(), "correlation id");
            ApiVersionsResponseData body = new ApiVersionsResponseData(new ByteBufferAccessor(response), (short) 0);
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), body.errorCode(), "error code");
            assertEquals(1, body.apiKeys().size(), "only the ApiVersions range is listed: " + body);
            assertEquals(3, body.apiKeys().find(ApiKeys.API_VERSIONS.id).maxVersion(), "2.8's highest ApiVersions");
        }
    }

    @Test
    void anApiTheReleaseLackedOrAVersionAboveItsRangeClosesTheConnection() {
        Broker broker = kafka28.on(Target.WEIR);
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            connection.send(new ConsumerGroupHeartbeatRequest.Builder(new ConsumerGroupHeartbeatRequestData()
                    .setGroupId("g").setMemberEpoch(0)).build((short) 0));
            assertTrue(connection.closedByBrokerWithin(Clients.TIMEOUT), "ConsumerGroupHeartbeat closes the connection");
        }
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            connection.send(new MetadataRequest.Builder(new MetadataRequestData().setTopics(null)).build((short) 12));
            assertTrue(connection.closedByBrokerWithin(Clients.TIMEOUT), "Metadata v12 (2.8 stops at 11) closes the connection");
        }
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            ApiVersionsResponse answer = connection.exchange(new ApiVersionsRequest.Builder().build((short) 3));
            assertEquals(Errors.NONE.code(), answer.data().errorCode(), "a new connection is served");
        }
    }

    @Test
    void theConsumerProtocolFailsAsAgainstAnOldBrokerWhileClassicWorks() {
        Broker broker = kafka28.on(Target.WEIR);
        String topic = Clients.uniqueTopic("emulate-groups");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            Clients.get(producer.send(new ProducerRecord<>(topic, "k", "v")));
        }
        assertConsumerProtocolRefused(broker, topic);
        try (KafkaConsumer<String, String> classic = Clients.consumer(broker, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "classic-" + topic, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic"))) {
            classic.subscribe(List.of(topic));
            List<String> values = new ArrayList<>();
            Await.until(Clients.TIMEOUT, "the classic group consumer reads the record", () -> {
                classic.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
                return !values.isEmpty();
            });
            assertEquals(List.of("v"), values);
            classic.commitSync();
        }
    }

    /** 3.7 to 3.9 listed ConsumerGroupHeartbeat but answered it UNSUPPORTED_VERSION unless enabled. */
    @Test
    void kafka39ListsTheConsumerProtocolButRefusesIt() {
        try (GatewayProcess broker = GatewayProcess.start("emulate-3.9", Map.of("emulate.kafka.version", "3.9"))) {
            assertEquals("0-0", advertised(broker).get(ApiKeys.CONSUMER_GROUP_HEARTBEAT.id), "ConsumerGroupHeartbeat");
            String topic = Clients.uniqueTopic("emulate-groups-39");
            Clients.createTopics(broker, Clients.topic(topic, 1));
            assertConsumerProtocolRefused(broker, topic);
        }
    }

    private static void assertConsumerProtocolRefused(Broker broker, String topic) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "kip848-" + topic, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"))) {
            consumer.subscribe(List.of(topic));
            UnsupportedVersionException e = Await.value(Clients.TIMEOUT, "poll to fail with UnsupportedVersionException", () -> {
                try {
                    consumer.poll(Duration.ofMillis(100));
                    return Optional.empty();
                } catch (UnsupportedVersionException refused) {
                    return Optional.of(refused);
                }
            });
            assertTrue(e.getMessage().contains("does not support the new CONSUMER group protocol"), e.getMessage());
        }
    }

    /**
     * No transaction.version 2: the producer runs KIP-890's first protocol, keeping its epoch from
     * one transaction to the next (TV2 bumps it at every commit), and DescribeTransactions (3.0+)
     * is not there.
     */
    @Test
    void transactionsRunWithoutTv2AndCommit() {
        Broker emulated = kafka28.on(Target.WEIR);
        List<Short> epochs = twoTransactions(emulated, "emulated");
        assertEquals(epochs.get(0), epochs.get(1), "producer epoch across two transactions (no epoch bump: TV1)");
        List<Short> weirOwn = twoTransactions(weir.on(Target.WEIR), "weir");
        assertTrue(weirOwn.get(1) > weirOwn.get(0), "unemulated Weir finalizes TV2, which bumps the epoch: " + weirOwn);
        try (Admin admin = Clients.admin(emulated)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeTransactions(List.of("txn-emulated")).all().get());
            assertInstanceOf(UnsupportedVersionException.class, e.getCause(), "DescribeTransactions against 2.8");
        }
    }

    /** The producer epoch the partition holds after each of two committed transactions. */
    private static List<Short> twoTransactions(Broker broker, String name) {
        String topic = Clients.uniqueTopic("emulate-txn-" + name);
        TopicPartition tp = new TopicPartition(topic, 0);
        Clients.createTopics(broker, Clients.topic(topic, 1));
        List<Short> epochs = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "txn-" + name + "-" + topic));
             Admin admin = Clients.admin(broker)) {
            producer.initTransactions();
            for (int i = 0; i < 2; i++) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, "k", "v" + i));
                producer.commitTransaction();
                epochs.add((short) onlyProducer(admin, tp).producerEpoch());
            }
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            List<String> values = Clients.readToEnd(consumer, List.of(tp)).stream().map(ConsumerRecord::value).toList();
            assertEquals(List.of("v0", "v1"), values, "committed records, read_committed");
        }
        return epochs;
    }

    @Test
    void idempotenceStaysOnByDefault() {
        Broker broker = kafka28.on(Target.WEIR);
        String topic = Clients.uniqueTopic("emulate-idempotent");
        TopicPartition tp = new TopicPartition(topic, 0);
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of());
             Admin admin = Clients.admin(broker)) {
            for (int i = 0; i < 3; i++) {
                Clients.get(producer.send(new ProducerRecord<>(topic, "k", "v" + i)));
            }
            ProducerState state = onlyProducer(admin, tp);
            assertTrue(state.producerId() >= 0, "the default producer got a producer id (InitProducerId): " + state);
            assertEquals(2, state.lastSequence(), "sequence numbers 0..2: the batches were idempotent");
        }
    }

    @Test
    void anUnknownReleaseStopsTheStartNamingTheKey() {
        Path data = CompatPaths.newDataDir("emulate-bad");
        ProcessResult result = ChildProcesses.run("emulate-bad", List.of(ChildProcesses.javaExecutable(), "-jar",
                CompatPaths.gatewayJar().toString(), "--set", "log.dir=" + data,
                "--set", "listeners=PLAINTEXT://127.0.0.1:" + FreePorts.next(), "--set", "emulate.kafka.version=2.7"),
                "", Clients.TIMEOUT);
        assertFalse(result.timedOut(), result.describe("timed out"));
        assertNotEquals(0, result.exitCode(), result.describe("exited 0"));
        String said = result.stdout() + result.stderr();
        assertTrue(said.contains("emulate.kafka.version") && said.contains("2.7"), result.describe("no key named"));
    }

    private static ProducerState onlyProducer(Admin admin, TopicPartition tp) {
        List<ProducerState> active = Clients.get(admin.describeProducers(List.of(tp)).partitionResult(tp)).activeProducers();
        assertEquals(1, active.size(), "active producers of " + tp + ": " + active);
        return active.get(0);
    }

    /** The broker's ApiVersions (v3, which every emulated release serves): api key -> "min-max". */
    private static Map<Short, String> advertised(Broker broker) {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            ApiVersionsResponse response = connection.exchange(new ApiVersionsRequest.Builder().build((short) 3));
            assertEquals(Errors.NONE.code(), response.data().errorCode(), "ApiVersions v3");
            Map<Short, String> out = new TreeMap<>();
            response.data().apiKeys().forEach(v -> out.put(v.apiKey(), v.minVersion() + "-" + v.maxVersion()));
            return out;
        }
    }

    private static String intersect(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int min = Math.max(Integer.parseInt(x[0]), Integer.parseInt(y[0]));
        int max = Math.min(Integer.parseInt(x[1]), Integer.parseInt(y[1]));
        return min <= max ? min + "-" + max : null;
    }

    /** The rows of one of gateway's tables as [first column, second column, the release's cell]. */
    private static List<String[]> rows(String file, String release) {
        try {
            List<String> lines = Files.readAllLines(TABLE.resolve(file)).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
            int column = List.of(lines.get(0).split("\t")).indexOf(release);
            assertTrue(column >= 2, release + " is a column of " + file);
            return lines.subList(1, lines.size()).stream().map(l -> l.split("\t"))
                    .map(r -> new String[] {r[0], r[1], r[column]}).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
