package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.InvalidRecordException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Conditional appends (header weir.expect-offset): Pravega's State Synchronizer for any Kafka client. */
class StateSynchronizerTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @org.junit.jupiter.api.BeforeEach
    void weirOnly() {
        // A Weir feature: there is nothing to compare on Kafka, which stores the header and ignores it.
        org.junit.jupiter.api.Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir is not a selected target");
    }

    private static ProducerRecord<String, String> conditional(String topic, String value, String expectOffset) {
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, 0, "k", value);
        r.headers().add("weir.expect-offset", expectOffset.getBytes(StandardCharsets.US_ASCII));
        return r;
    }

    @Test
    void aConditionalAppendLandsOnlyAtTheExpectedOffset() throws Exception {
        Broker broker = brokers.on(Target.WEIR);
        String topic = Clients.uniqueTopic("sync-basic");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            assertEquals(0, producer.send(conditional(topic, "first", "0")).get().offset());
            ExecutionException stale = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(conditional(topic, "stale", "0")).get());
            assertInstanceOf(InvalidRecordException.class, stale.getCause());
            assertTrue(stale.getCause().getMessage().contains("end offset 1"),
                    "the error names the current end offset: " + stale.getCause().getMessage());
            ExecutionException malformed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(conditional(topic, "bad", "one")).get());
            assertInstanceOf(InvalidRecordException.class, malformed.getCause());
            assertEquals(1, producer.send(conditional(topic, "second", "1")).get().offset());
            ProducerRecord<String, String> plain = new ProducerRecord<>(topic, 0, "k", "unconditional");
            assertEquals(2, producer.send(plain).get().offset(), "records without the header append as usual");
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> read = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
            assertEquals(List.of("first", "second", "unconditional"), read.stream().map(ConsumerRecord::value).toList());
            assertEquals("1", new String(read.get(1).headers().lastHeader("weir.expect-offset").value(),
                    StandardCharsets.US_ASCII), "the header is stored with the record");
        }
    }

    @Test
    void kcatCanAppendConditionally() {
        Broker broker = brokers.on(Target.WEIR);
        String topic = Clients.uniqueTopic("sync-kcat");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.expect-offset=0"), "first\n").assertSucceeded();
        ProcessResult stale = Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.expect-offset=0"),
                "stale\n");
        assertTrue(stale.stderr().contains("Invalid record") || stale.stderr().contains("INVALID_RECORD")
                || stale.exitCode() != 0, stale.describe("kcat's stale conditional append was not refused"));
        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.expect-offset=1"), "second\n").assertSucceeded();
        ProcessResult read = Kcat.run(broker, List.of("-C", "-t", topic, "-o", "beginning", "-e", "-f", "%s\\n"), null);
        assertEquals(List.of("first", "second"), read.stdoutLines());
    }

    /**
     * Eight kafka-clients processes increment one counter 500 times each through conditional
     * appends: the counter ends at exactly 4,000 and the log holds 1..4000 in order.
     */
    @Test
    void eightProcessesIncrementACounterExactly4000Times() throws Exception {
        Broker broker = brokers.on(Target.WEIR);
        String topic = Clients.uniqueTopic("sync-counter");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        long started = System.nanoTime();
        int rejected = runIncrementers(broker, topic, 8, 500, "offset", null);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        // The contention figures, for the record (target/surefire-reports/*-output.txt).
        System.out.println("State Synchronizer contention: 8 processes x 500 increments in " + seconds + " s, "
                + rejected + " conditional appends rejected");
        assertCounterLog(broker, topic, 4000);
    }

    /** The same through the keyed map: a compacted topic, per-key compare-and-set. */
    @Test
    void eightProcessesIncrementAKeyedCounterExactly4000Times() throws Exception {
        Broker broker = brokers.on(Target.WEIR);
        String topic = Clients.uniqueTopic("sync-keyed");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("cleanup.policy", "compact")));
        long started = System.nanoTime();
        int rejected = runIncrementers(broker, topic, 8, 500, "key", null);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        System.out.println("Keyed map contention: 8 processes x 500 increments in " + seconds + " s, "
                + rejected + " conditional appends rejected");
        // The topic is compacted, so older values may be gone: what remains rises and ends at exactly
        // 4,000, the number of increments the processes saw succeed.
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<Integer> values = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0))).stream()
                    .map(r -> Integer.parseInt(r.value())).toList();
            assertEquals(4000, values.get(values.size() - 1), "the final state");
            assertTrue(IntStream.range(1, values.size()).allMatch(i -> values.get(i) > values.get(i - 1)),
                    "no update lost or applied twice");
        }
    }

    /** Per-key compare-and-set: each key moves on its own; -1 means absent, and a tombstone makes it so. */
    @Test
    void theKeyedMapComparesEachKeysLatestOffset() throws Exception {
        Broker broker = brokers.on(Target.WEIR);
        String topic = Clients.uniqueTopic("sync-map");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("cleanup.policy", "compact")));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            assertEquals(0, put(producer, topic, "a", "a1", "-1"));
            assertEquals(1, put(producer, topic, "b", "b1", "-1"));
            ExecutionException taken = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> put(producer, topic, "a", "a-again", "-1"));
            assertInstanceOf(InvalidRecordException.class, taken.getCause());
            assertTrue(taken.getCause().getMessage().contains("latest offset 0"), taken.getCause().getMessage());
            assertEquals(2, put(producer, topic, "a", "a2", "0"));
            assertEquals(3, put(producer, topic, "b", "b2", "1"));
            assertEquals(4, put(producer, topic, "a", null, "2"), "a tombstone, conditional too");
            assertEquals(5, put(producer, topic, "a", "a3", "-1"), "after the tombstone the key is absent");
        }
    }

    private static long put(KafkaProducer<String, String> producer, String topic, String key, String value,
                            String expectKeyOffset) throws Exception {
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, 0, key, value);
        r.headers().add("weir.expect-key-offset", expectKeyOffset.getBytes(StandardCharsets.US_ASCII));
        return producer.send(r).get().offset();
    }

    /** A restart in the middle of the increments neither loses nor doubles one. */
    @Test
    void incrementsThroughAGatewayKill9NeitherLoseNorDoubleAnUpdate() throws Exception {
        try (Broker broker = Target.WEIR.start("sync-kill9", Map.of())) {
            String topic = Clients.uniqueTopic("sync-kill9");
            Clients.createTopics(broker, Clients.topic(topic, 1));
            runIncrementers(broker, topic, 2, 300, "offset", () -> {
                broker.kill9();
                broker.restart();
            });
            assertCounterLog(broker, topic, 600);
        }
    }

    /** Runs the processes to completion (running {@code midway} once a third of the increments landed); total rejections. */
    private static int runIncrementers(Broker broker, String topic, int processes, int each, String mode,
                                       Runnable midway) throws Exception {
        List<Process> running = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                Path out = CompatPaths.newLogFile("sync-incrementer-" + i, ".log");
                logs.add(out);
                running.add(ChildProcesses.start(ChildProcesses.javaCommand(List.of("-Xmx128m", "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1"), ChildProcesses.testClasspath(), CounterIncrementer.class.getName(),
                        List.of(broker.bootstrapServers(), topic, Integer.toString(each), mode)), out));
            }
            if (midway != null) {
                try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                    TopicPartition tp = new TopicPartition(topic, 0);
                    Await.until(Duration.ofSeconds(120), "a third of the increments land",
                            () -> consumer.endOffsets(List.of(tp)).get(tp) >= (long) processes * each / 3);
                }
                midway.run();
            }
            int rejected = 0;
            for (int i = 0; i < processes; i++) {
                assertTrue(running.get(i).waitFor(5, TimeUnit.MINUTES), "incrementer " + i + " finished");
                String last = ChildProcesses.tail(logs.get(i), 1).trim();
                assertEquals(0, running.get(i).exitValue(), "incrementer " + i + " failed:\n" + ChildProcesses.tail(logs.get(i), 30));
                assertTrue(last.startsWith("done " + each + " "), "incrementer " + i + " reported: " + last);
                rejected += Integer.parseInt(last.split(" ")[2]);
            }
            return rejected;
        } finally {
            running.forEach(Process::destroyForcibly);
        }
    }

    private static void assertCounterLog(Broker broker, String topic, int total) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<String> values = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0))).stream()
                    .map(ConsumerRecord::value).toList();
            assertEquals(IntStream.rangeClosed(1, total).mapToObj(Integer::toString).toList(), values,
                    "every increment exactly once, in order");
        }
    }
}
