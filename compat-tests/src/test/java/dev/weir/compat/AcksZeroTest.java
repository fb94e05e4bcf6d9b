package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * acks=0: the broker sends no response, the producer does not wait, and every record still lands in
 * order. A request that fails closes the connection, as Kafka's broker does, since there is no answer
 * to carry the error.
 */
class AcksZeroTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    static java.util.stream.Stream<Target> targets() {
        return Target.selected();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void fireAndForgetRecordsAllArriveInOrder(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("acks0");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        TopicPartition tp = new TopicPartition(topic, 0);
        int count = 500;
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.ACKS_CONFIG, "0", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.LINGER_MS_CONFIG, 0))) {
            for (int i = 0; i < count; i++) {
                // with acks=0 the client reports offset -1: no response comes back
                assertEquals(-1, Clients.get(producer.send(new ProducerRecord<>(topic, 0, null, "v" + i))).offset());
            }
            producer.flush();
        }
        try (Admin admin = Clients.admin(broker)) {
            Await.until(Duration.ofSeconds(30), "all acks=0 records are stored", () ->
                    Clients.get(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)).offset() == count);
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> read = Clients.readToEnd(consumer, List.of(tp));
            for (int i = 0; i < count; i++) {
                assertEquals("v" + i, read.get(i).value());
                assertEquals(i, read.get(i).offset());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aFailedFireAndForgetProduceClosesTheConnectionAndAGoodOneDoesNot(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("acks0-error");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        TopicPartition tp = new TopicPartition(topic, 0);
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker)) {
            connection.send(fireAndForget(topic, 0, "stored"));
            ApiVersionsResponse versions = connection.exchange(new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("weir-compat").setClientSoftwareVersion("1"), (short) 3));
            assertEquals(Errors.NONE.code(), versions.data().errorCode(), "the connection is open after a good acks=0 request");

            connection.send(fireAndForget(topic, 7, "to a partition that does not exist"));
            assertTrue(connection.closedByBrokerWithin(Duration.ofSeconds(30)),
                    "an acks=0 request that failed closes the connection");
        }
        try (Admin admin = Clients.admin(broker)) {
            Await.until(Duration.ofSeconds(30), "the good acks=0 record is stored", () ->
                    Clients.get(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)).offset() == 1);
        }
    }

    private static ProduceRequest fireAndForget(String topic, int partition, String value) {
        return fireAndForget(topic, partition, value.getBytes(StandardCharsets.UTF_8));
    }

    /** An acks=0 Produce v12 request of one record, for a raw connection's {@code send}. */
    static ProduceRequest fireAndForget(String topic, int partition, byte[] value) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(System.currentTimeMillis(), null, value));
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 0).setTimeoutMs(30_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records))));
        return ProduceRequest.builder(data).build((short) 12);
    }
}
