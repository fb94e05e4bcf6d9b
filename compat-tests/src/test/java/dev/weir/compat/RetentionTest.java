package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Weir only (Kafka deletes whole log segment files, so its timing differs): retention.ms and
 * retention.bytes are enforced in the background by moving the log start offset forward, and what
 * is newer or within the size limit stays readable.
 */
class RetentionTest {
    private static Broker gateway;

    @BeforeAll
    static void start() {
        assumeTrue(Target.isSelected(Target.WEIR), "retention timing is checked on Weir only");
        gateway = Target.WEIR.start("retention", Map.of("log.retention.check.interval.ms", "100"));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        return Clients.get(admin.listOffsets(Map.of(tp, spec)).partitionResult(tp)).offset();
    }

    @Test
    void recordsOlderThanRetentionMsAreDeletedAndNewerOnesStay() {
        String topic = Clients.uniqueTopic("retention-ms");
        Clients.createTopics(gateway, Clients.topic(topic, 1, Map.of("retention.ms", "600000")));
        TopicPartition tp = new TopicPartition(topic, 0);
        long now = System.currentTimeMillis();
        try (KafkaProducer<String, String> producer = Clients.producer(gateway, Map.of())) {
            for (int i = 0; i < 5; i++) { // an hour old: past retention.ms
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, now - 3_600_000L, "k", "old-" + i)));
            }
            for (int i = 0; i < 3; i++) {
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, now, "k", "new-" + i)));
            }
        }
        try (Admin admin = Clients.admin(gateway)) {
            Await.until(Duration.ofSeconds(30), "the log start offset passes the expired records",
                    () -> offset(admin, tp, OffsetSpec.earliest()) == 5);
            assertEquals(8, offset(admin, tp, OffsetSpec.latest()), "the end offset does not move");
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(gateway, Map.of())) {
            List<ConsumerRecord<String, String>> left = Clients.readToEnd(consumer, List.of(tp));
            assertEquals(List.of("new-0", "new-1", "new-2"), left.stream().map(ConsumerRecord::value).toList());
        }
    }

    @Test
    void retentionBytesKeepsOnlyTheNewestBatchesWithinTheLimit() {
        String topic = Clients.uniqueTopic("retention-bytes");
        Clients.createTopics(gateway, Clients.topic(topic, 1, Map.of("retention.bytes", "20000")));
        TopicPartition tp = new TopicPartition(topic, 0);
        String value = "x".repeat(4000);
        try (KafkaProducer<String, String> producer = Clients.producer(gateway, Map.of(ProducerConfig.LINGER_MS_CONFIG, 0))) {
            for (int i = 0; i < 20; i++) { // one batch each: about 4 KB per batch, 80 KB in all
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k" + i, value)));
            }
        }
        try (Admin admin = Clients.admin(gateway)) {
            long start = Await.value(Duration.ofSeconds(30), "retention.bytes moves the log start offset",
                    () -> {
                        // the background check may run while records are still arriving; wait for its pass after the last one
                        long s = offset(admin, tp, OffsetSpec.earliest());
                        return s >= 15 ? java.util.Optional.of(s) : java.util.Optional.empty();
                    });
            assertTrue(start < 20, "about 4 batches of 4 KB fit in 20,000 bytes; start offset " + start);
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(gateway, Map.of())) {
            List<ConsumerRecord<String, String>> left = Clients.readToEnd(consumer, List.of(tp));
            assertEquals(19, left.get(left.size() - 1).offset(), "the newest record is kept");
        }
    }
}
