package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once ETL chain that users build with {@code sendOffsetsToTransaction(offsets,
 * consumer.groupMetadata())}: transactional input into A; stage 1 reads A and writes B, stage 2 reads
 * B and writes C, each member in its own transactions, with the consumed offsets committed in them.
 * Members come and go while transactions are open (rebalances revoke partitions mid-transaction; a
 * member then aborts and rewinds to the committed offsets, which {@code require_stable} holds back
 * while another member's transaction is pending); static members are removed with the admin API.
 * At the end every input record is in C exactly once under read_committed, and each group's
 * committed offsets are the end of its input. Run side by side against Apache Kafka 4.4.
 *
 * <p>{@code -Dweir.compat.etl.churnSeconds=N} sets how long members churn (default 40).
 */
class EtlChainTest {
    private static final Logger log = LoggerFactory.getLogger(EtlChainTest.class);
    /**
     * Every member's transactions, rewinds and rebalances, to find which commit moved an offset
     * past what it produced: at DEBUG with -Dweir.compat.etl.trace=debug (see log4j2-test.properties).
     */
    private static final Logger trace = LoggerFactory.getLogger(EtlChainTest.class.getName() + ".trace");
    private static final int RECORDS = 50_000;
    /** The input: one long transaction (with flushes), then many small ones paced over the churn. */
    private static final int LONG_TRANSACTION = 10_000;
    private static final int SMALL_TRANSACTION = 100;
    private static final int PARTITIONS = 4;
    private static final int CHURN_SECONDS = Integer.getInteger("weir.compat.etl.churnSeconds", 40);

    /** How the stages' members take part in their groups. */
    enum Membership {
        COOPERATIVE_STICKY, STATIC_RANGE, CONSUMER_PROTOCOL;

        Map<String, Object> settings() {
            return switch (this) {
                case COOPERATIVE_STICKY -> Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 20_000);
                case STATIC_RANGE -> Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        "org.apache.kafka.clients.consumer.RangeAssignor",
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 20_000);
                case CONSUMER_PROTOCOL -> Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
            };
        }
    }

    /**
     * The memberships of the plain variant: {@code -Dweir.compat.etl.memberships=A,B} (default all three).
     */
    static Stream<Arguments> chains() {
        return Target.selectedWith(memberships("weir.compat.etl.memberships",
                "COOPERATIVE_STICKY,STATIC_RANGE,CONSUMER_PROTOCOL"));
    }

    private static Object[] memberships(String property, String defaults) {
        return Stream.of(System.getProperty(property, defaults).split(",")).map(String::trim)
                .map(Membership::valueOf).toArray();
    }

    /**
     * The memberships of the kill -9 variant: {@code -Dweir.compat.etl.killed=A,B} (default
     * COOPERATIVE_STICKY,CONSUMER_PROTOCOL).
     */
    static Stream<Arguments> killedChains() {
        return Target.selectedWith(memberships("weir.compat.etl.killed", "COOPERATIVE_STICKY,CONSUMER_PROTOCOL"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("chains")
    void everyRecordGoesThroughTheChainExactlyOnceWhileMembersComeAndGo(Target target, Membership membership)
            throws Exception {
        runChain(target, membership, false);
    }

    /** The same chain with the broker killed with kill -9 twice in the middle: retried produces are duplicates to drop. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("killedChains")
    void everyRecordGoesThroughTheChainExactlyOnceAcrossKill9s(Target target, Membership membership) throws Exception {
        runChain(target, membership, true);
    }

    private static void runChain(Target target, Membership membership, boolean kill) throws Exception {
        try (Broker broker = target.start("etl-chain", Map.of(
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
            String run = Clients.uniqueTopic("etl");
            String a = run + "-a";
            String b = run + "-b";
            String c = run + "-c";
            Clients.createTopics(broker, Clients.topic(a, PARTITIONS), Clients.topic(b, PARTITIONS),
                    Clients.topic(c, PARTITIONS));
            Random random = new Random(run.hashCode());
            List<Stage> stages = List.of(new Stage(broker, membership, a, b, run + "-g1"),
                    new Stage(broker, membership, b, c, run + "-g2"));
            long started = System.nanoTime();
            InputProducer input = new InputProducer(broker, a, run + "-input");
            try (Admin admin = Clients.admin(broker)) {
                for (Stage s : stages) {
                    s.add(random);
                    s.add(random);
                }
                input.start();
                long churnUntil = System.nanoTime() + Duration.ofSeconds(CHURN_SECONDS).toNanos();
                int kills = 0;
                while (System.nanoTime() < churnUntil) {
                    pace(Duration.ofMillis(500 + random.nextInt(1000)));
                    stages.forEach(Stage::requireNoFailure);
                    input.requireNoFailure();
                    Stage s = stages.get(random.nextInt(stages.size()));
                    if (s.size() <= 1 || (s.size() < 4 && random.nextBoolean())) {
                        s.add(random);
                    } else {
                        s.removeOne(random, admin);
                    }
                    long elapsed = System.nanoTime() - started;
                    if (kill && kills < 2 && elapsed > Duration.ofSeconds(CHURN_SECONDS).toNanos() * (kills + 1) / 3) {
                        log.info("kill -9 of the {} broker in the middle of the chain", target);
                        broker.kill9();
                        broker.restart();
                        kills++;
                    }
                }
                for (Stage s : stages) {
                    while (s.size() < 2) {
                        s.add(random);
                    }
                }
                Await.until(Duration.ofMinutes(3), "the input producer finishes", () -> {
                    input.requireNoFailure();
                    return input.done.get();
                });
                // Drained when each group's committed offsets reach the end of its input, stage by stage.
                for (Stage s : stages) {
                    Await.until(Duration.ofMinutes(3), s.group + " commits the end of " + s.in, () -> {
                        stages.forEach(Stage::requireNoFailure);
                        return s.committedAtEnd(admin);
                    });
                }
                log.info("{} {}: the chain drained {} records in {} s ({} s of churn, {} members started, "
                                + "{} transactions aborted)", target, membership, RECORDS,
                        (System.nanoTime() - started) / 1_000_000_000, CHURN_SECONDS,
                        stages.get(0).started.get() + stages.get(1).started.get(),
                        stages.get(0).aborts.get() + stages.get(1).aborts.get());
            } finally {
                input.close();
                for (Stage s : stages) {
                    s.close();
                }
            }
            stages.forEach(Stage::requireNoFailure);
            assertExactlyOnce(broker, c, a, b);
        }
    }

    /** Spaces out the churn and the input's transactions (load pacing, never synchronisation). */
    private static void pace(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertExactlyOnce(Broker broker, String topic, String... upstream) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            for (ConsumerRecord<String, String> r : Clients.readToEnd(consumer, tps)) {
                seen.merge(r.value(), 1, Integer::sum);
            }
        }
        List<String> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(10).toList();
        Set<String> missing = new HashSet<>();
        for (int i = 0; i < RECORDS && missing.size() < 10; i++) {
            if (!seen.containsKey("r" + i)) {
                missing.add("r" + i);
            }
        }
        String where = twice.isEmpty() && missing.isEmpty() ? ""
                : locate(broker, (twice.isEmpty() ? missing.iterator().next() : twice.get(0)), upstream, topic);
        assertTrue(twice.isEmpty(), "records in the final topic more than once (" + seen.values().stream()
                .mapToInt(Integer::intValue).sum() + " in all), e.g. " + twice + "; " + where);
        assertTrue(missing.isEmpty(), "records missing from the final topic, e.g. " + missing + "; " + where);
        assertEquals(RECORDS, seen.size(), "every input record in the final topic");
    }

    /** Where one value is in each topic of the chain, as read_uncommitted and read_committed see it: for a failure's message. */
    private static String locate(Broker broker, String value, String[] upstream, String last) {
        StringBuilder out = new StringBuilder("where " + value + " is:");
        List<String> topics = new ArrayList<>(List.of(upstream));
        topics.add(last);
        for (String topic : topics) {
            for (String isolation : List.of("read_uncommitted", "read_committed")) {
                List<TopicPartition> tps = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    tps.add(new TopicPartition(topic, p));
                }
                try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation))) {
                    List<String> at = Clients.readToEnd(consumer, tps).stream().filter(r -> r.value().equals(value))
                            .map(r -> r.partition() + "@" + r.offset()).toList();
                    out.append(' ').append(topic).append(' ').append(isolation).append(' ').append(at);
                }
            }
        }
        return out.toString();
    }

    /** Transactional input: RECORDS records into A, every transaction written again until it commits. */
    private static final class InputProducer implements AutoCloseable {
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        InputProducer(Broker broker, String topic, String transactionalId) {
            thread = new Thread(() -> {
                try {
                    int small = (RECORDS - LONG_TRANSACTION) / SMALL_TRANSACTION;
                    long pace = Duration.ofSeconds(CHURN_SECONDS).toMillis() * 3 / 4 / small;
                    KafkaProducer<String, String> producer = newProducer(broker, transactionalId);
                    try {
                        for (int from = 0; from < RECORDS && running.get(); ) {
                            int to = from == 0 ? LONG_TRANSACTION : from + SMALL_TRANSACTION;
                            try {
                                producer.beginTransaction();
                                for (int i = from; i < to; i++) {
                                    producer.send(new ProducerRecord<>(topic, "k" + i, "r" + i));
                                    if (i % 1000 == 999) {
                                        producer.flush();
                                    }
                                }
                                commit(producer);
                                from = to;
                                pace(Duration.ofMillis(pace));
                            } catch (KafkaException e) {
                                // The transaction did not commit: it is aborted (by us, or by the next
                                // incarnation's fence) and written again.
                                log.info("input transaction from {} failed, writing it again: {}", from, e.toString());
                                producer.close(Duration.ZERO);
                                producer = newProducer(broker, transactionalId);
                            }
                        }
                    } finally {
                        producer.close();
                    }
                    done.set(true);
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "etl-input");
        }

        void start() {
            thread.start();
        }

        void requireNoFailure() {
            if (failure.get() != null) {
                throw new AssertionError("the input producer failed", failure.get());
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(Clients.TIMEOUT.toMillis());
        }
    }

    private static KafkaProducer<String, String> newProducer(Broker broker, String transactionalId) {
        while (true) {
            KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                    ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                    ProducerConfig.LINGER_MS_CONFIG, 5));
            try {
                producer.initTransactions();
                return producer;
            } catch (TimeoutException e) {
                // The broker is restarting: a new producer tries again.
                producer.close(Duration.ZERO);
            }
        }
    }

    /** Commits; a commit that timed out (the broker went away) is retried, as kafka-clients allows. */
    private static void commit(KafkaProducer<String, String> producer) {
        while (true) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                log.info("commit timed out, retrying: {}", e.toString());
            }
        }
    }

    /** The members of one stage's group: consume {@code in}, produce {@code out}, exactly once. */
    private static final class Stage implements AutoCloseable {
        final Broker broker;
        final Membership membership;
        final String in;
        final String out;
        final String group;
        final List<Worker> workers = new CopyOnWriteArrayList<>();
        final AtomicInteger started = new AtomicInteger();
        /** Transactions its members aborted: revoked or fenced mid-transaction, or failed. */
        final AtomicInteger aborts = new AtomicInteger();
        final Set<String> freeInstanceIds = new java.util.TreeSet<>(List.of("s0", "s1", "s2", "s3", "s4", "s5"));

        Stage(Broker broker, Membership membership, String in, String out, String group) {
            this.broker = broker;
            this.membership = membership;
            this.in = in;
            this.out = out;
            this.group = group;
        }

        int size() {
            return workers.size();
        }

        synchronized void add(Random random) {
            String instanceId = null;
            if (membership == Membership.STATIC_RANGE) {
                instanceId = freeInstanceIds.iterator().next();
                freeInstanceIds.remove(instanceId);
            }
            workers.add(new Worker(this, group + "-txn-" + started.incrementAndGet(), instanceId));
        }

        /** Stops one member; a static one is then removed with the admin API (its close sends no LeaveGroup). */
        synchronized void removeOne(Random random, Admin admin) throws Exception {
            Worker w = workers.remove(random.nextInt(workers.size()));
            w.close();
            if (w.instanceId != null) {
                removeStatic(admin, w.instanceId);
                freeInstanceIds.add(w.instanceId);
            }
        }

        private void removeStatic(Admin admin, String instanceId) throws Exception {
            for (int attempt = 0; ; attempt++) {
                try {
                    admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions(
                            List.of(new MemberToRemove(instanceId)))).all().get();
                    return;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownMemberIdException) {
                        return; // it had not joined, or its session ended
                    }
                    if (attempt >= 20) {
                        throw e;
                    }
                    log.info("removing static member {} of {} failed, retrying: {}", instanceId, group, e.getCause().toString());
                    pace(Duration.ofMillis(500));
                }
            }
        }

        boolean committedAtEnd(Admin admin) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                tps.add(new TopicPartition(in, p));
            }
            Map<TopicPartition, OffsetAndMetadata> committed;
            Map<TopicPartition, Long> ends;
            try (KafkaConsumer<String, String> probe = Clients.consumer(broker, Map.of(
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
                ends = probe.endOffsets(tps);
            }
            try {
                committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            for (TopicPartition tp : tps) {
                OffsetAndMetadata o = committed.get(tp);
                if (o == null || o.offset() != ends.get(tp)) {
                    return false;
                }
            }
            return true;
        }

        void requireNoFailure() {
            for (Worker w : workers) {
                if (w.failure.get() != null) {
                    throw new AssertionError(group + " member " + w.transactionalId + " failed", w.failure.get());
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            for (Worker w : workers) {
                w.close();
            }
            requireNoFailure();
        }
    }

    /**
     * One member: polls, produces every record to the next topic and commits the consumed positions
     * in the same transaction, which stays open over one to three polls so that rebalances land in it.
     */
    private static final class Worker implements AutoCloseable, ConsumerRebalanceListener {
        final Stage stage;
        final String transactionalId;
        final String instanceId;
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;
        private final Random random;
        private KafkaConsumer<String, String> consumer;
        private KafkaProducer<String, String> producer;
        private boolean inTransaction;
        private int pollsInTransaction;
        /** What this member knows to be committed, per owned partition. */
        private final Map<TopicPartition, Long> committed = new HashMap<>();
        /**
         * The partitions this member owns by its rebalance callbacks. Not {@code consumer.assignment()}:
         * the KIP-848 consumer drops a revoked partition from that only after the callback returned, on
         * its background thread, and a commit of that partition's position after the callback aborted
         * its records would skip them (a broker accepts it while the member's epoch is current).
         */
        private final Set<TopicPartition> owned = new HashSet<>();
        /** For the trace: the first and last offset consumed per partition in the open transaction. */
        private final Map<TopicPartition, long[]> consumed = new HashMap<>();

        Worker(Stage stage, String transactionalId, String instanceId) {
            this.stage = stage;
            this.transactionalId = transactionalId;
            this.instanceId = instanceId;
            this.random = new Random(transactionalId.hashCode());
            thread = new Thread(this::run, transactionalId);
            thread.start();
        }

        private void run() {
            Map<String, Object> settings = new HashMap<>(stage.membership.settings());
            settings.put(ConsumerConfig.GROUP_ID_CONFIG, stage.group);
            settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20);
            if (instanceId != null) {
                settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
            }
            try {
                producer = newProducer(stage.broker, transactionalId);
                consumer = Clients.consumer(stage.broker, settings);
                consumer.subscribe(List.of(stage.in), this);
                while (running.get()) {
                    try {
                        step();
                    } catch (KafkaException e) {
                        recover(e);
                    }
                }
                if (inTransaction) {
                    abort();
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                if (consumer != null) {
                    consumer.close(Duration.ofSeconds(5));
                }
                if (producer != null) {
                    producer.close(Duration.ofSeconds(5));
                }
            }
        }

        private void step() {
            ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
            if (records.isEmpty() && !inTransaction && !positionsAhead()) {
                return;
            }
            if (!inTransaction) {
                producer.beginTransaction();
                inTransaction = true;
                pollsInTransaction = 0;
            }
            for (ConsumerRecord<String, String> r : records) {
                if (!owned.contains(new TopicPartition(r.topic(), r.partition()))) {
                    continue; // revoked in this poll: the next owner reads it from the committed offset
                }
                producer.send(new ProducerRecord<>(stage.out, r.key(), r.value()));
                if (trace.isDebugEnabled()) {
                    consumed.computeIfAbsent(new TopicPartition(r.topic(), r.partition()),
                            tp -> new long[] {r.offset(), r.offset()})[1] = r.offset();
                }
            }
            if (++pollsInTransaction < 1 + random.nextInt(3)) {
                return; // the transaction stays open over the next poll
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : owned) {
                offsets.put(tp, new OffsetAndMetadata(consumer.position(tp)));
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            commit(producer);
            inTransaction = false;
            offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
            if (trace.isDebugEnabled()) {
                trace.debug("{} epoch {} committed {} after consuming {}", transactionalId,
                        consumer.groupMetadata().generationId(), positions(offsets), ranges());
            }
            consumed.clear();
        }

        private String ranges() {
            StringBuilder b = new StringBuilder();
            consumed.forEach((tp, r) -> b.append(tp).append('@').append(r[0]).append("..").append(r[1]).append(' '));
            return b.toString();
        }

        private static String positions(Map<TopicPartition, OffsetAndMetadata> offsets) {
            StringBuilder b = new StringBuilder();
            offsets.forEach((tp, o) -> b.append(tp).append('@').append(o.offset()).append(' '));
            return b.toString();
        }

        /** Whether the consumer moved past what was committed (e.g. over a transaction marker) with nothing to return. */
        private boolean positionsAhead() {
            for (TopicPartition tp : owned) {
                Long c = committed.get(tp);
                if (c == null || consumer.position(tp) > c) {
                    return true;
                }
            }
            return false;
        }

        /**
         * A failed transaction is aborted and the member goes back to the committed offsets; a producer
         * that cannot abort is replaced by one with the same transactional id, which fences it.
         */
        private void recover(KafkaException e) {
            log.info("{}: {}; aborting and rewinding", transactionalId, e.toString());
            if (inTransaction) {
                abort();
            }
            rewind(owned);
        }

        private void abort() {
            inTransaction = false;
            trace.debug("{} aborts after consuming {}", transactionalId, ranges());
            consumed.clear();
            stage.aborts.incrementAndGet();
            try {
                producer.abortTransaction();
            } catch (KafkaException e) {
                log.info("{}: abort failed ({}); a new producer fences the old one", transactionalId, e.toString());
                producer.close(Duration.ZERO);
                producer = newProducer(stage.broker, transactionalId);
            }
        }

        private void rewind(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            while (true) {
                try {
                    // read_committed: the fetch asks require_stable, so a pending transaction's offsets are waited for.
                    Map<TopicPartition, OffsetAndMetadata> c = consumer.committed(new HashSet<>(partitions));
                    trace.debug("{} rewinds to {}", transactionalId, c);
                    for (TopicPartition tp : partitions) {
                        OffsetAndMetadata o = c.get(tp);
                        if (o == null) {
                            consumer.seekToBeginning(List.of(tp));
                            committed.remove(tp);
                        } else {
                            consumer.seek(tp, o.offset());
                            committed.put(tp, o.offset());
                        }
                    }
                    return;
                } catch (TimeoutException e) {
                    log.info("{}: reading committed offsets timed out, retrying", transactionalId);
                }
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            trace.debug("{} revoked {} (in a transaction: {})", transactionalId, partitions, inTransaction);
            if (!partitions.isEmpty() && inTransaction) {
                // Revoked mid-transaction: abort it, and go back to the committed offsets on what stays.
                abort();
                Set<TopicPartition> kept = new HashSet<>(owned);
                kept.removeAll(partitions);
                rewind(kept);
            }
            owned.removeAll(partitions);
            partitions.forEach(committed::remove);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            trace.debug("{} lost {} (in a transaction: {})", transactionalId, partitions, inTransaction);
            if (inTransaction) {
                abort();
            }
            owned.removeAll(partitions);
            partitions.forEach(committed::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            trace.debug("{} assigned {}", transactionalId, partitions);
            owned.addAll(partitions);
            // New partitions start from their committed offsets (waiting while a transaction holds them).
            rewind(partitions);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(Clients.TIMEOUT.toMillis());
            if (thread.isAlive()) {
                failure.compareAndSet(null, new AssertionError(transactionalId + " did not stop"));
            }
        }
    }
}
