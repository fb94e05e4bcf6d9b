package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** acks=0: the broker sends no response, the producer does not wait, and every record still lands in order. */
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
}
