package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Client quotas as Kafka keeps them: AlterClientQuotas and DescribeClientQuotas by user and
 * client-id (with defaults), validation of keys and values, and byte-rate quotas enforced with
 * {@code throttle_time_ms}, which clients honour by holding back their next request.
 */
class ClientQuotaTest {
    private static final String PRODUCER_BYTE_RATE = "producer_byte_rate";
    private static final String CONSUMER_BYTE_RATE = "consumer_byte_rate";

    @RegisterExtension
    static final Brokers brokers = Brokers.dedicated("quotas", Map.of());

    private static ClientQuotaEntity clientId(String id) {
        Map<String, String> e = new HashMap<>();
        e.put(ClientQuotaEntity.CLIENT_ID, id);
        return new ClientQuotaEntity(e);
    }

    private static void alter(Admin admin, ClientQuotaEntity entity, String key, Double value) {
        Clients.get(admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity,
                List.of(new ClientQuotaAlteration.Op(key, value))))).all());
    }

    private static Map<ClientQuotaEntity, Map<String, Double>> describe(Admin admin, ClientQuotaFilter filter) {
        return Clients.get(admin.describeClientQuotas(filter).entities());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void quotasAreSetDescribedAndRemovedByEntity(Target target) {
        Broker broker = brokers.on(target);
        try (Admin admin = Clients.admin(broker)) {
            ClientQuotaEntity app = clientId("app-1");
            ClientQuotaEntity defaultClient = clientId(null);
            ClientQuotaEntity user = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "alice",
                    ClientQuotaEntity.CLIENT_ID, "app-1"));
            alter(admin, app, PRODUCER_BYTE_RATE, 1_048_576.0);
            alter(admin, app, CONSUMER_BYTE_RATE, 2_097_152.0);
            alter(admin, defaultClient, CONSUMER_BYTE_RATE, 4_194_304.0);
            alter(admin, user, PRODUCER_BYTE_RATE, 512.0);

            assertEquals(Map.of(app, Map.of(PRODUCER_BYTE_RATE, 1_048_576.0, CONSUMER_BYTE_RATE, 2_097_152.0)),
                    describe(admin, ClientQuotaFilter.containsOnly(List.of(
                            ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, "app-1")))));
            assertEquals(Map.of(defaultClient, Map.of(CONSUMER_BYTE_RATE, 4_194_304.0)),
                    describe(admin, ClientQuotaFilter.containsOnly(List.of(
                            ClientQuotaFilterComponent.ofDefaultEntity(ClientQuotaEntity.CLIENT_ID)))));
            assertEquals(Map.of(app, Map.of(PRODUCER_BYTE_RATE, 1_048_576.0, CONSUMER_BYTE_RATE, 2_097_152.0),
                            user, Map.of(PRODUCER_BYTE_RATE, 512.0)),
                    describe(admin, ClientQuotaFilter.contains(List.of(
                            ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, "app-1")))));
            assertEquals(Map.of(app, Map.of(PRODUCER_BYTE_RATE, 1_048_576.0, CONSUMER_BYTE_RATE, 2_097_152.0),
                            defaultClient, Map.of(CONSUMER_BYTE_RATE, 4_194_304.0)),
                    describe(admin, ClientQuotaFilter.containsOnly(List.of(
                            ClientQuotaFilterComponent.ofEntityType(ClientQuotaEntity.CLIENT_ID)))));
            assertEquals(Map.of(user, Map.of(PRODUCER_BYTE_RATE, 512.0)),
                    describe(admin, ClientQuotaFilter.contains(List.of(
                            ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, "alice")))));

        }
        Map<ClientQuotaEntity, Map<String, Double>> before;
        try (Admin admin = Clients.admin(broker)) {
            before = describe(admin, ClientQuotaFilter.all());
        }
        broker.stop();
        broker.restart();
        try (Admin admin = Clients.admin(broker)) {
            assertEquals(before, describe(admin, ClientQuotaFilter.all()), "quotas survive a restart");
            ClientQuotaEntity app = clientId("app-1");
            ClientQuotaEntity defaultClient = clientId(null);
            ClientQuotaEntity user = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "alice",
                    ClientQuotaEntity.CLIENT_ID, "app-1"));
            alter(admin, app, PRODUCER_BYTE_RATE, null);
            alter(admin, user, PRODUCER_BYTE_RATE, null);
            alter(admin, defaultClient, CONSUMER_BYTE_RATE, null);
            assertEquals(Map.of(app, Map.of(CONSUMER_BYTE_RATE, 2_097_152.0)), describe(admin, ClientQuotaFilter.all()));
            alter(admin, app, CONSUMER_BYTE_RATE, null);
            assertEquals(Map.of(), describe(admin, ClientQuotaFilter.all()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void badKeysAndValuesAreRejectedAndChangeNothing(Target target) {
        Broker broker = brokers.on(target);
        try (Admin admin = Clients.admin(broker)) {
            ClientQuotaEntity app = clientId("app-bad");
            for (Map.Entry<String, Double> bad : List.of(Map.entry("no_such_rate", 10.0),
                    Map.entry(PRODUCER_BYTE_RATE, 1.5), Map.entry(PRODUCER_BYTE_RATE, -1.0),
                    Map.entry(PRODUCER_BYTE_RATE, 0.0))) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> admin.alterClientQuotas(List.of(
                        new ClientQuotaAlteration(app, List.of(new ClientQuotaAlteration.Op(bad.getKey(), bad.getValue())))))
                        .all().get(), bad.toString());
                assertInstanceOf(InvalidRequestException.class, e.getCause(), bad + ": " + e.getCause());
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> admin.alterClientQuotas(List.of(
                    new ClientQuotaAlteration(new ClientQuotaEntity(Map.of("no-such-entity", "x")),
                            List.of(new ClientQuotaAlteration.Op(PRODUCER_BYTE_RATE, 10.0))))).all().get());
            assertInstanceOf(InvalidRequestException.class, e.getCause(), e.getCause().toString());
            assertEquals(Map.of(), describe(admin, ClientQuotaFilter.contains(List.of(
                    ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, "app-bad")))));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void byteRateQuotasThrottleTheirClientsOnly(Target target) throws Exception {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("quota");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        int rate = 50_000;
        try (Admin admin = Clients.admin(broker)) {
            alter(admin, clientId("slow-producer"), PRODUCER_BYTE_RATE, (double) rate);
            alter(admin, clientId("slow-consumer"), CONSUMER_BYTE_RATE, (double) rate);
        }
        // The quota's window is 11 samples of 1 s: about 10 s of the rate (500 kB) pass before any
        // throttling, so 600 kB overshoot and earn throttles of a second or two.
        byte[] value = new byte[10_000];
        int count = 60;
        double slowProduceThrottle = produce(broker, topic, "slow-producer", value, count);
        double freeProduceThrottle = produce(broker, topic, "free-producer", value, count);
        assertTrue(slowProduceThrottle > 0, "the producer over its quota was throttled");
        assertEquals(0.0, freeProduceThrottle, "a producer without a quota is not throttled");

        double slowFetchThrottle = consume(broker, topic, "slow-consumer", count);
        double freeFetchThrottle = consume(broker, topic, "free-consumer", count);
        System.out.printf("%s: throttle-time-max produce %.0f ms, fetch %.0f ms%n", target, slowProduceThrottle,
                slowFetchThrottle);
        assertTrue(slowFetchThrottle > 0, "the consumer over its quota was throttled");
        assertEquals(0.0, freeFetchThrottle, "a consumer without a quota is not throttled");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anAcksZeroProducerOverItsQuotaIsNotReadForTheThrottleTime(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("quota-acks0");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        String clientId = "raw-fire-and-forget";
        try (Admin admin = Clients.admin(broker)) {
            alter(admin, clientId(clientId), PRODUCER_BYTE_RATE, 50_000.0);
        }
        // 600 kB against 50 kB/s over the 10 s window: the last request earns a throttle of about 2 s.
        // With acks=0 there is no answer to carry it; the broker stops reading the connection instead,
        // so the next request's answer waits for the throttle to pass.
        int requests = 6;
        long elapsedMs;
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker, clientId)) {
            for (int i = 0; i < requests; i++) {
                connection.send(AcksZeroTest.fireAndForget(topic, 0, new byte[100_000]));
            }
            long sent = System.nanoTime();
            ApiVersionsResponse versions = connection.exchange(new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("weir-compat").setClientSoftwareVersion("1"), (short) 3));
            elapsedMs = (System.nanoTime() - sent) / 1_000_000;
            assertEquals(Errors.NONE.code(), versions.data().errorCode());
        }
        System.out.printf("%s: acks=0 over quota, next answer after %d ms%n", target, elapsedMs);
        assertTrue(elapsedMs >= 1_000, "the connection was not read for the throttle time: answered after " + elapsedMs + " ms");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = Clients.admin(broker)) {
            assertEquals(requests, Clients.get(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)).offset(),
                    "every acks=0 record was stored");
        }
    }

    /** Sends {@code count} records as client {@code clientId}; returns the producer's produce-throttle-time-max. */
    private static double produce(Broker broker, String topic, String clientId, byte[] value, int count) {
        try (KafkaProducer<byte[], byte[]> producer = Clients.bytesProducer(broker, Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, clientId, ProducerConfig.LINGER_MS_CONFIG, 5))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, value));
            }
            producer.flush();
            return metric(producer.metrics(), "produce-throttle-time-max", "producer-metrics");
        }
    }

    /** Reads {@code count} records as client {@code clientId}; returns the consumer's fetch-throttle-time-max. */
    private static double consume(Broker broker, String topic, String clientId, int count) {
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.bytesConsumer(broker, Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, clientId))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            assertTrue(Clients.readUntil(consumer, Map.of(tp, (long) count)).size() >= count);
            return metric(consumer.metrics(), "fetch-throttle-time-max", "consumer-fetch-manager-metrics");
        }
    }

    private static double metric(Map<MetricName, ? extends Metric> metrics, String name, String group) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().equals(group))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .filter(v -> !Double.isNaN(v))
                .max().orElse(0.0);
    }
}
