package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** One node, 10,000 partitions: Metadata, a produce to every partition and a fetch from every partition. */
class ScaleTest {
    private static final int PARTITIONS = 10_000;

    @Test
    void tenThousandPartitionsAnswerMetadataTakeAProduceEachAndAreFetchedTogether() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir is not a selected target");
        try (GatewayProcess broker = GatewayProcess.start("scale", Map.of())) {
            String topic = Clients.uniqueTopic("wide");
            long idleKb = broker.residentKb();
            Clients.createTopics(broker, Clients.topic(topic, PARTITIONS));
            try (Admin admin = Clients.admin(broker)) {
                TopicDescription d = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
                assertEquals(PARTITIONS, d.partitions().size(), "Metadata lists every partition");
            }
            long withPartitionsKb = broker.residentKb();

            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(ProducerConfig.LINGER_MS_CONFIG, 20))) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, p, "k", "partition " + p)));
                }
                for (int p = 0; p < PARTITIONS; p++) {
                    assertEquals(0, Clients.get(sent.get(p)).offset(), "the first record of partition " + p);
                }
            }
            List<TopicPartition> all = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(topic, p)).toList();
            Map<Integer, String> read = new HashMap<>();
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker,
                    Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, PARTITIONS))) {
                for (ConsumerRecord<String, String> r : Clients.readToEnd(consumer, all)) {
                    read.put(r.partition(), r.value());
                }
            }
            assertEquals(PARTITIONS, read.size(), "a record came back from every partition");
            read.forEach((p, v) -> assertEquals("partition " + p, v));
            System.out.printf("10,000 partitions: resident memory %d MB idle, %d MB with the partitions created "
                    + "(%.1f KB per idle partition), %d MB after produce and fetch%n", idleKb / 1024,
                    withPartitionsKb / 1024, (withPartitionsKb - idleKb) / (double) PARTITIONS, broker.residentKb() / 1024);
        }
    }
}
