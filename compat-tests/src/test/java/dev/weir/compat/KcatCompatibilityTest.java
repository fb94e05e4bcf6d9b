package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** kcat (librdkafka, a non-Java client) produces and consumes keys, values and headers. */
class KcatCompatibilityTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kcatProducesAndConsumesRecordsWithKeysAndHeaders(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("kcat");
        Clients.createTopics(broker, Clients.topic(topic, 1));

        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-K", ":", "-z", "snappy",
                "-H", "source=kcat", "-H", "trace=42"), "k1:first\nk2:second\nk3:third\n").assertSucceeded();

        ProcessResult consumed = Kcat.run(broker, List.of("-C", "-t", topic, "-p", "0", "-o", "beginning", "-c", "3", "-e",
                "-f", "%p|%o|%k|%s|%h\n"), "").assertSucceeded();
        assertEquals(List.of(
                "0|0|k1|first|source=kcat,trace=42",
                "0|1|k2|second|source=kcat,trace=42",
                "0|2|k3|third|source=kcat,trace=42"), consumed.stdoutLines(), "what kcat read back");

        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> records = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
            assertEquals(List.of("k1=first source=kcat,trace=42", "k2=second source=kcat,trace=42", "k3=third source=kcat,trace=42"),
                    records.stream().map(r -> r.key() + "=" + r.value() + " " + headers(r)).toList(), "what kafka-clients read");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kcatConsumesWhatKafkaClientsProduced(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("kcat-reads-java");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("compression.type", "zstd", "linger.ms", 100))) {
            for (int i = 0; i < 4; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, 1_700_000_000_000L + i, "key" + i, "value" + i);
                record.headers().add(new RecordHeader("n", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
            }
            producer.flush();
        }

        ProcessResult consumed = Kcat.run(broker, List.of("-C", "-t", topic, "-p", "0", "-o", "beginning", "-c", "4", "-e",
                "-f", "%o|%T|%k|%s|%h\n"), "").assertSucceeded();
        assertEquals(List.of(
                "0|1700000000000|key0|value0|n=0",
                "1|1700000000001|key1|value1|n=1",
                "2|1700000000002|key2|value2|n=2",
                "3|1700000000003|key3|value3|n=3"), consumed.stdoutLines(), "what kcat read");
    }

    private static String headers(ConsumerRecord<String, String> record) {
        return String.join(",", StreamSupport.stream(record.headers().spliterator(), false)
                .map(h -> h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8)).toList());
    }
}
