package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Log compaction: the latest record per key stays at its offset; tombstones go after delete.retention.ms. */
class CompactionTest {

    private static List<String> read(Broker broker, String topic) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<String> seen = new ArrayList<>();
            for (ConsumerRecord<String, String> r : Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)))) {
                seen.add(r.offset() + " " + r.key() + "=" + r.value());
            }
            return seen;
        }
    }

    @Test
    void onlyEachKeysLatestRecordRemainsAtItsOffsetAndTombstonesGoAfterTheirRetention() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir is not a selected target");
        try (Broker broker = Target.WEIR.start("compaction", Map.of("log.cleaner.backoff.ms", "200"))) {
            String topic = Clients.uniqueTopic("compacted");
            Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("cleanup.policy", "compact",
                    "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "3000", "min.compaction.lag.ms", "0")));
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int round = 0; round < 10; round++) {
                    for (int k = 0; k < 10; k++) {
                        Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k" + k, "v" + round)));
                    }
                }
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k0", null)));
            }
            List<String> latest = IntStream.range(1, 10).mapToObj(k -> (90 + k) + " k" + k + "=v9")
                    .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
            latest.add("100 k0=null");
            Await.until(Duration.ofSeconds(30), "the cleaner keeps only each key's latest record",
                    () -> read(broker, topic).equals(latest));
            Await.until(Duration.ofSeconds(30), "the tombstone goes once delete.retention.ms has passed",
                    () -> read(broker, topic).equals(latest.subList(0, 9)));
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                assertEquals(101, Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k1", "after"))).offset(),
                        "compaction never moves the end of the log");
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("dev.weir.compat.Target#selected")
    void aCompactedTopicRefusesRecordsWithoutAKey(Target target) {
        try (Broker broker = target.start("compaction-keyless", Map.of())) {
            String topic = Clients.uniqueTopic("compacted-keyless");
            Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("cleanup.policy", "compact")));
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                org.junit.jupiter.api.Assertions.assertThrows(org.apache.kafka.common.InvalidRecordException.class,
                        () -> Clients.get(producer.send(new ProducerRecord<>(topic, 0, null, "no key"))));
                assertEquals(0, Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "keyed"))).offset(),
                        "the refused record took no offset");
            }
        }
    }
}
