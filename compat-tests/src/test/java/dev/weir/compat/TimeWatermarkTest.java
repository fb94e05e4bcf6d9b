package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Time watermarks: writers note event time with the header weir.note-time, and the gateway publishes
 * marks to __weir_watermarks that a plain Kafka consumer reads. A Weir feature, so Weir only.
 */
class TimeWatermarkTest {
    private static final String MARKS = "__weir_watermarks";
    private static final long WRITER_TIMEOUT_MS = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Broker broker;

    /** A published mark, as its JSON reads. */
    record Mark(String topic, long lowerTimeBound, long upperTimeBound, Map<String, Long> streamCut) {
    }

    @BeforeAll
    static void start() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir is not a selected target");
        broker = Target.WEIR.start("watermarks", Map.of("watermarks.interval.ms", "200",
                "watermarks.writer.timeout.ms", Long.toString(WRITER_TIMEOUT_MS)));
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    /** Reads __weir_watermarks from its beginning with a plain consumer, keeping the marks of one topic. */
    private static final class MarkReader implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of());
        private final String topic;
        private final List<Mark> marks = new ArrayList<>();

        MarkReader(String topic) {
            this.topic = topic;
            TopicPartition tp = new TopicPartition(MARKS, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
        }

        /** The marks published so far, in order. */
        List<Mark> marks() {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                if (topic.equals(r.key()) && r.value() != null) {
                    try {
                        marks.add(JSON.readValue(r.value(), Mark.class));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            return List.copyOf(marks);
        }

        Mark awaitMark(String what, java.util.function.Predicate<Mark> condition) {
            return Await.value(Clients.TIMEOUT, what, () -> marks().stream().filter(condition).findFirst());
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** A writer noting each record's event time from its own, skewed clock; the records go round the partitions. */
    private static final class Writer implements java.util.concurrent.Callable<Integer> {
        final String name;
        final long skewMs;
        final String clientId;
        final boolean namesItself;
        final String topic;
        volatile boolean stopped;
        volatile long lastAcknowledgedTime = Long.MIN_VALUE;

        Writer(String topic, String name, long skewMs, String clientId, boolean namesItself) {
            this.topic = topic;
            this.name = name;
            this.skewMs = skewMs;
            this.clientId = clientId;
            this.namesItself = namesItself;
        }

        @Override
        public Integer call() {
            int sent = 0;
            try (KafkaProducer<String, String> producer = Clients.producer(broker,
                    Map.of(ProducerConfig.CLIENT_ID_CONFIG, clientId))) {
                while (!stopped) {
                    long last = Long.MIN_VALUE;
                    List<Future<?>> acks = new ArrayList<>();
                    for (int i = 0; i < 20; i++, sent++) {
                        last = System.currentTimeMillis() + skewMs;
                        ProducerRecord<String, String> r = new ProducerRecord<>(topic, sent % 3, name, Long.toString(last));
                        r.headers().add("weir.note-time", Long.toString(last).getBytes(StandardCharsets.US_ASCII));
                        if (namesItself) {
                            r.headers().add("weir.writer", name.getBytes(StandardCharsets.UTF_8));
                        }
                        acks.add(producer.send(r));
                    }
                    acks.forEach(Clients::get);
                    lastAcknowledgedTime = last;
                }
            }
            return sent;
        }
    }

    @Test
    void marksRiseMonotonicallyASilentWriterStopsHoldingThemBackAndNothingAfterACutIsOlderThanItsLowerBound()
            throws Exception {
        String topic = Clients.uniqueTopic("watermarked");
        Clients.createTopics(broker, Clients.topic(topic, 3));
        // Two writers share a client.id and tell themselves apart with weir.writer.
        Writer ahead = new Writer(topic, "ahead", 1500, "clock-ahead", false);
        Writer behind = new Writer(topic, "behind", -2000, "clock-behind", false);
        Writer exact = new Writer(topic, "exact", 0, "shared-client", true);
        Writer silent = new Writer(topic, "silent", -6000, "shared-client", true);
        List<Writer> writers = List.of(ahead, behind, exact, silent);
        ExecutorService pool = Executors.newFixedThreadPool(writers.size());
        try (MarkReader reader = new MarkReader(topic)) {
            // The silent writer, 6 s behind, starts first: the others join ahead of every mark it allows.
            Future<Integer> silentRun = pool.submit(silent);
            Await.until(Clients.TIMEOUT, "the silent writer wrote", () -> silent.lastAcknowledgedTime > Long.MIN_VALUE);
            List<Future<Integer>> running = new ArrayList<>(List.of(silentRun));
            List.of(ahead, behind, exact).forEach(w -> running.add(pool.submit(w)));
            Await.until(Clients.TIMEOUT, "every writer wrote",
                    () -> writers.stream().allMatch(w -> w.lastAcknowledgedTime > Long.MIN_VALUE));
            int joined = reader.marks().size();
            Await.until(Clients.TIMEOUT, "three marks are published with all four writers",
                    () -> reader.marks().size() >= joined + 3);

            silent.stopped = true;
            silentRun.get(60, TimeUnit.SECONDS);
            long silentLast = silent.lastAcknowledgedTime;
            List<Mark> whileSilentWrote = reader.marks();
            Mark afterDropOut = reader.awaitMark("a mark passes the silent writer's last time",
                    m -> m.lowerTimeBound() > silentLast);
            int dropOut = reader.marks().indexOf(afterDropOut);
            Await.until(Clients.TIMEOUT, "two more marks are published", () -> reader.marks().size() >= dropOut + 3);
            writers.forEach(w -> w.stopped = true);
            for (Future<Integer> f : running) {
                assertTrue(f.get(60, TimeUnit.SECONDS) > 0, "every writer wrote");
            }
            List<Mark> marks = reader.marks();

            for (Mark m : whileSilentWrote) {
                assertTrue(m.lowerTimeBound() <= silentLast, "the silent writer, 6 s behind, held back " + m);
            }
            assertTrue(afterDropOut.lowerTimeBound() - silentLast >= 3000,
                    "the mark passed the silent writer because it dropped out, not because it caught up: "
                            + afterDropOut + " vs its last time " + silentLast);
            for (int i = 0; i < marks.size(); i++) {
                Mark m = marks.get(i);
                assertEquals(topic, m.topic());
                assertEquals(java.util.Set.of("0", "1", "2"), m.streamCut().keySet(), "the cut covers every partition");
                assertTrue(m.upperTimeBound() >= m.lowerTimeBound(), m.toString());
                if (i > 0) {
                    Mark before = marks.get(i - 1);
                    assertTrue(m.lowerTimeBound() > before.lowerTimeBound(), "lower bounds only rise: " + before + " then " + m);
                    for (String p : m.streamCut().keySet()) {
                        assertTrue(m.streamCut().get(p) >= before.streamCut().get(p), "cuts never go back: " + before + " then " + m);
                    }
                }
            }

            List<ConsumerRecord<String, String>> records;
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                records = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                        new TopicPartition(topic, 2)));
            }
            long checked = 0;
            for (Mark m : marks) {
                for (ConsumerRecord<String, String> r : records) {
                    if (r.offset() >= m.streamCut().get(Integer.toString(r.partition()))) {
                        checked++;
                        assertTrue(Long.parseLong(r.value()) >= m.lowerTimeBound(), "record " + r.partition() + "@"
                                + r.offset() + " of " + r.key() + " at time " + r.value() + " lies after the cut of " + m);
                    }
                }
            }
            assertTrue(checked > 0, "some records lie after a mark's cut");
            System.out.printf("time watermarks: %d marks over %d records, %d record-after-cut checks%n", marks.size(),
                    records.size(), checked);
        } finally {
            writers.forEach(w -> w.stopped = true);
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "the writers stopped");
        }
    }

    @Test
    void kcatNotesTimeAndMarksStayMonotoneAcrossAKill9() {
        String topic = Clients.uniqueTopic("watermarked-kcat");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        long first = 1_700_000_000_000L;
        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.note-time=" + first, "-H", "weir.writer=kcat"),
                "e1\n").assertSucceeded();
        try (MarkReader reader = new MarkReader(topic)) {
            Mark mark = reader.awaitMark("kcat's noted time is published", m -> true);
            assertEquals(new Mark(topic, first, first, Map.of("0", 1L)), mark);
        }
        broker.kill9();
        broker.restart();
        // The writer reports an earlier time after the restart: the published lower bound does not go back.
        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.note-time=" + (first - 5000), "-H",
                "weir.writer=kcat"), "late\n").assertSucceeded();
        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.note-time=" + (first + 1000), "-H",
                "weir.writer=kcat"), "e2\n").assertSucceeded();
        try (MarkReader reader = new MarkReader(topic)) {
            reader.awaitMark("the later time is published", m -> m.lowerTimeBound() == first + 1000);
            List<Long> lowers = reader.marks().stream().map(Mark::lowerTimeBound).toList();
            assertEquals(List.of(first, first + 1000), lowers, "no mark went back to the late time");
            assertEquals(Map.of("0", 3L), reader.marks().get(1).streamCut());
        }
    }

    @Test
    void aDeletedTopicsMarksGoAndATopicReCreatedUnderItsNameStartsAfresh() {
        String topic = Clients.uniqueTopic("watermarked-recreated");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        long time = 1_800_000_000_000L;
        // Rising times: the service may publish between the writes, and each write passes the mark before it.
        for (int i = 0; i < 3; i++) {
            Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.note-time=" + (time + i), "-H",
                    "weir.writer=kcat"), "e\n").assertSucceeded();
        }
        try (MarkReader reader = new MarkReader(topic)) {
            Mark last = reader.awaitMark("the first topic's last mark", m -> m.lowerTimeBound() == time + 2);
            assertEquals(Map.of("0", 3L), last.streamCut());
        }
        try (org.apache.kafka.clients.admin.Admin admin = Clients.admin(broker)) {
            Clients.get(admin.deleteTopics(List.of(topic)).all());
        }
        Clients.createTopics(broker, Clients.topic(topic, 1));
        Kcat.run(broker, List.of("-P", "-t", topic, "-p", "0", "-H", "weir.note-time=" + (time - 60_000), "-H",
                "weir.writer=kcat"), "again\n").assertSucceeded();
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            TopicPartition tp = new TopicPartition(MARKS, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<String> values = new ArrayList<>();
            Await.until(Clients.TIMEOUT, "the new topic's first mark follows a tombstone", () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                    if (topic.equals(r.key())) {
                        values.add(r.value());
                    }
                });
                int tombstone = values.indexOf(null);
                return tombstone >= 0 && values.size() > tombstone + 1;
            });
            int tombstone = values.indexOf(null);
            assertTrue(tombstone >= 1, "the deleted topic's marks came first, then were tombstoned: " + values);
            String fresh = values.get(tombstone + 1);
            assertTrue(fresh.contains("\"lowerTimeBound\":" + (time - 60_000)) && fresh.contains("{\"0\":1}"),
                    "the re-created topic starts afresh: " + fresh);
        }
    }

    @Test
    void aMalformedNoteTimeIsAnInvalidRecordAndClientsCannotWriteMarks() {
        String topic = Clients.uniqueTopic("watermarked-bad");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            ProducerRecord<String, String> bad = new ProducerRecord<>(topic, 0, "k", "v");
            bad.headers().add("weir.note-time", "yesterday".getBytes(StandardCharsets.US_ASCII));
            ExecutionException e = assertThrows(ExecutionException.class, () -> producer.send(bad).get());
            assertInstanceOf(InvalidRecordException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("weir.note-time"), e.getCause().getMessage());

            ExecutionException forged = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>(MARKS, 0, topic, "{}")).get());
            assertInstanceOf(InvalidTopicException.class, forged.getCause());
        }
    }
}
