package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a broker acknowledged is still there after it stops, gracefully or by SIGKILL. */
class DurabilityTest {
    private static final long BASE = 1_700_000_000_000L;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void topicsConfigsIdsAndRecordsSurviveAGracefulRestart(Target target) {
        // The cleaner would legitimately compact the settings topic between the two looks at it.
        try (Broker broker = target.start("graceful-restart", Map.of("log.cleaner.enable", "false"))) {
            String events = Clients.uniqueTopic("durable-events");
            String settings = Clients.uniqueTopic("durable-settings");
            Clients.createTopics(broker,
                    Clients.topic(events, 3, Map.of("retention.ms", "86400000", "max.message.bytes", "2000000")),
                    Clients.topic(settings, 1));
            try (Admin admin = Clients.admin(broker)) {
                TopicConfigTest.alter(admin, TopicConfigTest.topicResource(settings),
                        new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET));
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"))) {
                for (int i = 0; i < 90; i++) {
                    ProducerRecord<String, String> record = new ProducerRecord<>(events, i % 3, BASE + i, "key-" + i, "event-" + i);
                    record.headers().add(new RecordHeader("n", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
                    producer.send(record);
                }
                producer.send(new ProducerRecord<>(settings, 0, BASE, "colour", "blue"));
                producer.send(new ProducerRecord<>(settings, 0, BASE + 1, "colour", (String) null));
                producer.flush();
            }
            List<String> before = state(broker, List.of(events, settings));

            broker.stop();
            broker.restart();

            assertEquals(before, state(broker, List.of(events, settings)), "topics, ids, configs and records after a restart");
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                RecordMetadata next = Clients.get(producer.send(new ProducerRecord<>(events, 0, "after", "restart")));
                assertEquals(30, next.offset(), "appends continue at the old end offset");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void everyAcknowledgedRecordSurvivesKill9WhileAnAcksAllProducerRuns(Target target) throws InterruptedException {
        try (Broker broker = target.start("kill9", Map.of())) {
            String topic = Clients.uniqueTopic("kill9");
            Clients.createTopics(broker, Clients.topic(topic, 1));
            Uuid topicId;
            try (Admin admin = Clients.admin(broker)) {
                topicId = TopicAdminTest.describeWhenLed(admin, topic).topicId();
            }

            SequenceProducer producer = new SequenceProducer(broker, topic);
            try {
                Await.until(Clients.TIMEOUT, "3000 records are acknowledged before the kill", () -> producer.ackedCount() >= 3_000);
                broker.kill9();
                int ackedAtKill = producer.ackedCount();
                broker.restart();
                Await.until(Clients.TIMEOUT, "the producer gets 1000 more acknowledgements after the restart",
                        () -> producer.ackedCount() >= ackedAtKill + 1_000);
            } finally {
                producer.stop();
            }
            assertNull(producer.crash(), "the producer thread failed");

            try (Admin admin = Clients.admin(broker)) {
                assertEquals(topicId, TopicAdminTest.describeWhenLed(admin, topic).topicId(), "the topic id after kill -9");
            }
            List<Long> log = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000))) {
                Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0))).forEach(r -> log.add(Long.parseLong(r.value())));
            }
            assertAcknowledgedInOrderWithoutGaps(producer.acked(), producer.sentCount(), log);
        }
    }

    /**
     * Every acknowledged value is in the log, and their first occurrences are in the order they were
     * sent. Duplicates (a retried batch whose first attempt also landed) and unacknowledged values
     * may appear; values never sent may not.
     */
    private static void assertAcknowledgedInOrderWithoutGaps(NavigableSet<Long> acked, long sent, List<Long> log) {
        Map<Long, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < log.size(); i++) {
            long value = log.get(i);
            assertTrue(value >= 0 && value < sent, "the log holds value " + value + " that was never sent");
            firstIndex.putIfAbsent(value, i);
        }
        List<Long> missing = acked.stream().filter(v -> !firstIndex.containsKey(v)).toList();
        assertTrue(missing.isEmpty(), missing.size() + " of " + acked.size() + " acknowledged records are missing, first: "
                + missing.subList(0, Math.min(20, missing.size())));
        int previous = -1;
        long previousValue = -1;
        for (long value : acked) {
            int index = firstIndex.get(value);
            assertTrue(index > previous, "acknowledged value " + value + " (log index " + index
                    + ") comes before acknowledged value " + previousValue + " (log index " + previous + ")");
            previous = index;
            previousValue = value;
        }
    }

    /** Everything a client can see of the topics: ids, partitions, dynamic configs, end offsets, records. */
    private static List<String> state(Broker broker, List<String> topics) {
        List<String> seen = new ArrayList<>();
        try (Admin admin = Clients.admin(broker)) {
            for (String topic : topics) {
                TopicDescription description = TopicAdminTest.describeWhenLed(admin, topic);
                seen.add(topic + " id=" + description.topicId() + " partitions=" + description.partitions().size());
                ConfigResource resource = TopicConfigTest.topicResource(topic);
                TopicConfigTest.describe(admin, resource).entries().stream()
                        .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                        .sorted(Comparator.comparing(ConfigEntry::name))
                        .forEach(e -> seen.add(topic + " config " + e.name() + "=" + e.value()));
            }
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            for (String topic : topics) {
                int partitions = consumer.partitionsFor(topic, Clients.TIMEOUT).size();
                List<TopicPartition> all = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
                consumer.endOffsets(all, Clients.TIMEOUT).entrySet().stream()
                        .sorted(Map.Entry.comparingByKey(Comparator.comparingInt(TopicPartition::partition)))
                        .forEach(e -> seen.add("end " + e.getKey() + "=" + e.getValue()));
                Clients.readToEnd(consumer, all).stream()
                        .sorted(Comparator.comparingInt((ConsumerRecord<String, String> r) -> r.partition()).thenComparingLong(ConsumerRecord::offset))
                        .forEach(r -> seen.add("record " + r.topic() + "-" + r.partition() + "@" + r.offset() + " ts=" + r.timestamp()
                                + " " + r.timestampType() + " " + r.key() + "=" + r.value() + " " + ProduceConsumeTest.headersText(r.headers())));
            }
        }
        return seen;
    }

    /**
     * lmdbjava copies LMDB's library into the temporary directory and deleted the copy only at a
     * normal exit, so each kill -9 left 300 KB behind; the gateway now removes it once it is mapped.
     */
    @Test
    void aGatewayKilledWithKill9LeavesNothingInItsTemporaryDirectory() throws Exception {
        assumeTrue(Target.isSelected(Target.WEIR), "the gateway's own files; this run targets only Kafka");
        Path tmp = CompatPaths.newDataDir("kill9-tmpdir");
        try (GatewayProcess gateway = GatewayProcess.start("kill9-tmpdir", Map.of(),
                List.of("-Djava.io.tmpdir=" + tmp))) {
            String topic = Clients.uniqueTopic("kill9-tmpdir");
            try (KafkaProducer<String, String> producer = Clients.producer(gateway, Map.of())) {
                producer.send(new ProducerRecord<>(topic, "k", "v")).get(30, TimeUnit.SECONDS);
            }
            gateway.kill9();
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(), left.map(p -> p.getFileName().toString()).sorted().toList(),
                        "files the killed gateway left in java.io.tmpdir");
            }
        } finally {
            CompatPaths.deleteRecursively(tmp);
        }
    }

    /**
     * An idempotent acks=all producer sending 0, 1, 2, ... to partition 0 from its own thread,
     * recording every value the broker acknowledged. At most 500 records are unacknowledged at once.
     */
    private static final class SequenceProducer {
        private final KafkaProducer<String, String> producer;
        private final String topic;
        private final NavigableSet<Long> acked = new ConcurrentSkipListSet<>();
        private final AtomicInteger ackedCount = new AtomicInteger();
        private final Semaphore unacknowledged = new Semaphore(500);
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long sent;
        private volatile Throwable crash;

        SequenceProducer(Broker broker, String topic) {
            this.topic = topic;
            this.producer = Clients.producer(broker, Map.of(
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                    ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200,
                    ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200));
            this.thread = new Thread(this::run, "sequence-producer");
            thread.start();
        }

        private void run() {
            try {
                long next = 0;
                while (running) {
                    if (!unacknowledged.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    long value = next++;
                    sent = next;
                    try {
                        producer.send(new ProducerRecord<>(topic, 0, null, Long.toString(value)), (metadata, error) -> {
                            if (error == null) {
                                acked.add(value);
                                ackedCount.incrementAndGet();
                            }
                            unacknowledged.release();
                        });
                    } catch (KafkaException e) {
                        unacknowledged.release();
                    }
                }
            } catch (Throwable t) {
                crash = t;
            }
        }

        int ackedCount() {
            return ackedCount.get();
        }

        NavigableSet<Long> acked() {
            return acked;
        }

        long sentCount() {
            return sent;
        }

        Throwable crash() {
            return crash;
        }

        /** Stops sending, waits for every outstanding record's outcome, closes the producer. */
        void stop() throws InterruptedException {
            running = false;
            thread.join(Duration.ofSeconds(30).toMillis());
            producer.flush();
            producer.close(Duration.ofSeconds(30));
        }
    }
}
