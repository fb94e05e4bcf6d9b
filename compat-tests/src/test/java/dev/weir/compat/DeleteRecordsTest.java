package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** DeleteRecords moves a partition's start offset; consumers below it reset per auto.offset.reset. */
class DeleteRecordsTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void deleteRecordsMovesTheEarliestOffsetAndKeepsTheRest(Target target) {
        Broker broker = brokers.on(target);
        TopicPartition partition = topicWithTenRecords(broker, "delete-records");

        try (Admin admin = Clients.admin(broker)) {
            long lowWatermark = Clients.get(admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(4)))
                    .lowWatermarks().get(partition)).lowWatermark();
            assertEquals(4, lowWatermark, "low watermark after deleting before offset 4");
            assertEquals(4, Clients.get(admin.listOffsets(Map.of(partition, OffsetSpec.earliest())).partitionResult(partition)).offset(),
                    "earliest offset after the delete");
            assertEquals(10, Clients.get(admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)).offset(),
                    "latest offset after the delete");
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> rest = Clients.readToEnd(consumer, List.of(partition));
            assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L), rest.stream().map(ConsumerRecord::offset).toList(), "offsets left");
            assertEquals(List.of("v4", "v5", "v6", "v7", "v8", "v9"), rest.stream().map(ConsumerRecord::value).toList(), "values left");
        }
        try (Admin admin = Clients.admin(broker)) {
            // beforeOffset(-1) means "up to the high watermark": everything goes
            long all = Clients.get(admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(-1)))
                    .lowWatermarks().get(partition)).lowWatermark();
            assertEquals(10, all, "low watermark after deleting up to the high watermark");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aConsumerAtADeletedOffsetResetsToEarliestOrLatestOrFailsPerItsPolicy(Target target) {
        Broker broker = brokers.on(target);
        TopicPartition partition = topicWithTenRecords(broker, "delete-reset");
        try (Admin admin = Clients.admin(broker)) {
            Clients.get(admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(4))).all());
        }

        try (KafkaConsumer<String, String> consumer = consumerAtOffsetZero(broker, partition, "earliest")) {
            List<ConsumerRecord<String, String>> records = Clients.readUntil(consumer, Map.of(partition, 10L));
            assertEquals(4, records.get(0).offset(), "auto.offset.reset=earliest resumes at the new start offset");
        }
        try (KafkaConsumer<String, String> consumer = consumerAtOffsetZero(broker, partition, "latest")) {
            Await.until(Duration.ofSeconds(30), "the consumer's position resets to the end offset", () -> {
                assertTrue(consumer.poll(Duration.ofMillis(100)).isEmpty(), "no records before the end offset");
                return consumer.position(partition) == 10L;
            });
        }
        try (KafkaConsumer<String, String> consumer = consumerAtOffsetZero(broker, partition, "none")) {
            OffsetOutOfRangeException error = assertThrows(OffsetOutOfRangeException.class, () -> {
                long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
                while (System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200));
                }
            }, "auto.offset.reset=none reports the deleted offset as out of range");
            assertEquals(Map.of(partition, 0L), error.offsetOutOfRangePartitions());
        }
    }

    private static KafkaConsumer<String, String> consumerAtOffsetZero(Broker broker, TopicPartition partition, String reset) {
        KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset));
        consumer.assign(List.of(partition));
        consumer.seek(partition, 0);
        return consumer;
    }

    private static TopicPartition topicWithTenRecords(Broker broker, String prefix) {
        String topic = Clients.uniqueTopic(prefix);
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i));
            }
            producer.flush();
        }
        return new TopicPartition(topic, 0);
    }
}
