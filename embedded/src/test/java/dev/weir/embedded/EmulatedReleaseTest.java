package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The builder's version emulation: a Kafka 4.4 client against an embedded broker that answers as Kafka 2.8. */
class EmulatedReleaseTest {

    @Test
    void aKafka28BrokerHasNoConsumerGroupProtocolButClassicGroupsAndIdempotenceWork() throws Exception {
        try (EmbeddedWeir weir = EmbeddedWeir.builder().emulateKafkaVersion("2.8").start()) {
            weir.createTopic("old", 1);
            try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of())) {
                producer.send(new ProducerRecord<>("old", "k", "v")).get();
            }
            Map<String, Object> common = Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, weir.bootstrapServers(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            Map<String, Object> kip848 = new java.util.HashMap<>(common);
            kip848.put(ConsumerConfig.GROUP_ID_CONFIG, "new-protocol");
            kip848.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kip848)) {
                consumer.subscribe(List.of("old"));
                UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class, () -> {
                    for (int i = 0; i < 100; i++) {
                        consumer.poll(Duration.ofMillis(200));
                    }
                });
                assertTrue(e.getMessage().contains("CONSUMER"), e.getMessage());
            }
            Map<String, Object> classic = new java.util.HashMap<>(common);
            classic.put(ConsumerConfig.GROUP_ID_CONFIG, "classic");
            classic.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(classic)) {
                consumer.subscribe(List.of("old"));
                List<String> values = new java.util.ArrayList<>();
                for (int i = 0; i < 300 && values.isEmpty(); i++) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                        values.add(r.value());
                    }
                }
                assertEquals(List.of("v"), values);
            }
        }
    }
}
