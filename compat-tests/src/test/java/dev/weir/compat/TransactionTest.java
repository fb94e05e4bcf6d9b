package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Kafka transactions: atomic writes across partitions, read_committed isolation, fencing, offsets in transactions. */
class TransactionTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    static KafkaProducer<String, String> transactional(Broker broker, String transactionalId) {
        return Clients.producer(broker, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true));
    }

    static KafkaConsumer<String, String> isolated(Broker broker, String isolation) {
        return Clients.consumer(broker, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000));
    }

    /**
     * Ten transactions over three partitions, every other one aborted: what read_committed and
     * read_uncommitted consumers see, value and offset, must be what they see on Kafka.
     */
    @Test
    void committedAndAbortedTransactionsAreSeenAsKafkaShowsThem() {
        Broker kafka = brokers.on(Target.KAFKA);
        Broker candidate = brokers.on(Target.isSelected(Target.WEIR) ? Target.WEIR : Target.KAFKA);
        List<String> expected = alternatingTransactions(kafka);
        List<String> actual = alternatingTransactions(candidate);
        assertEquals(String.join("\n", expected), String.join("\n", actual),
                candidate.target() + " showed transactions differently from Kafka");
    }

    private static List<String> alternatingTransactions(Broker broker) {
        String topic = Clients.uniqueTopic("txn-alternating");
        Clients.createTopics(broker, Clients.topic(topic, 3));
        try (KafkaProducer<String, String> producer = transactional(broker, Clients.uniqueTopic("txn-alt"))) {
            producer.initTransactions();
            for (int t = 0; t < 10; t++) {
                producer.beginTransaction();
                for (int i = 0; i < 9; i++) {
                    producer.send(new ProducerRecord<>(topic, i % 3, "k", "t" + t + "-" + i));
                }
                // Without a flush, abortTransaction may drop batches not yet sent: what lands would vary.
                producer.flush();
                if (t % 2 == 0) {
                    producer.commitTransaction();
                } else {
                    producer.abortTransaction();
                }
            }
        }
        List<TopicPartition> partitions = IntStream.range(0, 3).mapToObj(p -> new TopicPartition(topic, p)).toList();
        List<String> seen = new ArrayList<>();
        for (String isolation : List.of("read_committed", "read_uncommitted")) {
            try (KafkaConsumer<String, String> consumer = isolated(broker, isolation)) {
                consumer.endOffsets(partitions).entrySet().stream()
                        .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparingInt(TopicPartition::partition)))
                        .forEach(e -> seen.add(isolation + " end " + e.getKey().partition() + " = " + e.getValue()));
                List<ConsumerRecord<String, String>> records = Clients.readToEnd(consumer, partitions);
                records.stream().sorted(java.util.Comparator.comparingInt((ConsumerRecord<String, String> r) -> r.partition())
                                .thenComparingLong(ConsumerRecord::offset))
                        .forEach(r -> seen.add(isolation + " " + r.partition() + "@" + r.offset() + " " + r.value()));
                if (isolation.equals("read_committed")) {
                    assertEquals(45, records.size(), "the five committed transactions' records");
                    assertTrue(records.stream().allMatch(r -> Integer.parseInt(r.value().substring(1, r.value().indexOf('-'))) % 2 == 0),
                            "nothing of an aborted transaction");
                } else {
                    assertEquals(90, records.size(), "every data record, aborted ones included");
                }
            }
        }
        return seen;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aSecondProducerWithTheSameTransactionalIdFencesTheFirst(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("txn-fence");
        String id = Clients.uniqueTopic("txn-fence");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> zombie = transactional(broker, id)) {
            zombie.initTransactions();
            zombie.beginTransaction();
            Clients.get(zombie.send(new ProducerRecord<>(topic, 0, "k", "zombie")));
            try (KafkaProducer<String, String> successor = transactional(broker, id)) {
                successor.initTransactions();
                KafkaException fenced = assertThrows(KafkaException.class, zombie::commitTransaction);
                assertTrue(fenced instanceof ProducerFencedException
                                || fenced.getCause() instanceof ProducerFencedException
                                || fenced instanceof org.apache.kafka.common.errors.InvalidProducerEpochException,
                        "the zombie is fenced: " + fenced);
                successor.beginTransaction();
                successor.send(new ProducerRecord<>(topic, 0, "k", "successor"));
                successor.commitTransaction();
            }
        }
        try (KafkaConsumer<String, String> consumer = isolated(broker, "read_committed");
             KafkaConsumer<String, String> all = isolated(broker, "read_uncommitted")) {
            TopicPartition tp = new TopicPartition(topic, 0);
            String observed = "LSO " + consumer.endOffsets(List.of(tp)) + " HW " + all.endOffsets(List.of(tp)) + " all "
                    + Clients.readToEnd(all, List.of(tp)).stream().map(r -> r.offset() + ":" + r.value()).toList();
            List<String> values = Clients.readToEnd(consumer, List.of(tp)).stream()
                    .map(ConsumerRecord::value).toList();
            assertEquals(List.of("successor"), values, "the zombie's write was aborted when it was fenced; " + observed);
        }
    }

    /** Consume-transform-produce: the group's offsets move with the transaction, and only if it commits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void offsetsSentToATransactionAreCommittedWithItAndOnlyIfItCommits(Target target) {
        Broker broker = brokers.on(target);
        String in = Clients.uniqueTopic("txn-in");
        String out = Clients.uniqueTopic("txn-out");
        String group = Clients.uniqueTopic("txn-group");
        Clients.createTopics(broker, Clients.topic(in, 1), Clients.topic(out, 1));
        TopicPartition source = new TopicPartition(in, 0);
        try (KafkaProducer<String, String> producer = transactional(broker, Clients.uniqueTopic("txn-ctp"));
             Admin admin = Clients.admin(broker)) {
            producer.initTransactions();
            ConsumerGroupMetadata metadata = new ConsumerGroupMetadata(group);

            producer.beginTransaction();
            producer.send(new ProducerRecord<>(out, 0, "k", "aborted"));
            producer.sendOffsetsToTransaction(Map.of(source, new OffsetAndMetadata(5)), metadata);
            producer.abortTransaction();
            assertTrue(Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).isEmpty(),
                    "an aborted transaction commits no offsets");

            producer.beginTransaction();
            producer.send(new ProducerRecord<>(out, 0, "k", "committed"));
            producer.sendOffsetsToTransaction(Map.of(source, new OffsetAndMetadata(7)), metadata);
            producer.commitTransaction();
            Await.until(Clients.TIMEOUT, "the committed transaction's offsets are visible", () -> {
                OffsetAndMetadata o = Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata())
                        .get(source);
                return o != null && o.offset() == 7;
            });

            List<TransactionListing> listed = new ArrayList<>(Clients.get(admin.listTransactions().all()));
            assertTrue(listed.stream().anyMatch(l -> l.producerId() >= 0), "kafka-transactions can list it");
        }
        try (KafkaConsumer<String, String> consumer = isolated(broker, "read_committed")) {
            assertEquals(List.of("committed"), Clients.readToEnd(consumer, List.of(new TopicPartition(out, 0))).stream()
                    .map(ConsumerRecord::value).toList());
        }
    }

    /** An open transaction holds read_committed consumers at its first offset until it ends. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anOpenTransactionHoldsBackReadCommittedConsumersUntilItCommits(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("txn-open");
        String id = Clients.uniqueTopic("txn-open");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> plain = Clients.producer(broker, Map.of());
             KafkaProducer<String, String> producer = transactional(broker, id);
             KafkaConsumer<String, String> committed = isolated(broker, "read_committed");
             Admin admin = Clients.admin(broker)) {
            Clients.get(plain.send(new ProducerRecord<>(topic, 0, "k", "before")));
            producer.initTransactions();
            producer.beginTransaction();
            Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "inside")));
            Clients.get(plain.send(new ProducerRecord<>(topic, 0, "k", "after")));

            assertEquals(1L, committed.endOffsets(List.of(tp)).get(tp), "the last stable offset is the transaction's start");
            TransactionDescription d = Clients.get(admin.describeTransactions(List.of(id)).description(id));
            assertEquals("ONGOING", d.state().name());
            assertEquals(List.of(tp), List.copyOf(d.topicPartitions()));

            committed.assign(List.of(tp));
            committed.seekToBeginning(List.of(tp));
            List<String> values = new ArrayList<>();
            Await.until(Clients.TIMEOUT, "the record before the transaction is read", () -> {
                committed.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
                return !values.isEmpty();
            });
            assertEquals(List.of("before"), values);

            producer.commitTransaction();
            Await.until(Clients.TIMEOUT, "the rest is read once the transaction commits", () -> {
                committed.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
                return values.size() >= 3;
            });
            assertEquals(List.of("before", "inside", "after"), values);
        }
    }

    /**
     * Kafka's own TransactionalMessageCopier (kafka-tools) copies a partition in transactions of 50,
     * aborting some at random and re-copying from the committed offsets: the output, read committed,
     * is the input exactly once, in order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkasTransactionalMessageCopierCopiesATopicExactlyOnce(Target target) {
        Broker broker = brokers.on(target);
        String in = Clients.uniqueTopic("copier-in");
        String out = Clients.uniqueTopic("copier-out");
        Clients.createTopics(broker, Clients.topic(in, 1), Clients.topic(out, 1));
        int count = 1000;
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(in, 0, "k" + i, Integer.toString(i)));
            }
            producer.flush();
        }
        ProcessResult copied = ToolRunner.run("org.apache.kafka.tools.TransactionalMessageCopier", List.of(
                "--broker-list", broker.bootstrapServers(), "--input-topic", in, "--input-partition", "0",
                "--output-topic", out, "--transactional-id", Clients.uniqueTopic("copier"),
                "--consumer-group", Clients.uniqueTopic("copier-group"), "--transaction-size", "50",
                "--enable-random-aborts", "--use-group-metadata"), "", Duration.ofSeconds(120));
        copied.assertSucceeded();
        try (KafkaConsumer<String, String> consumer = isolated(broker, "read_committed")) {
            List<String> values = Clients.readToEnd(consumer, List.of(new TopicPartition(out, 0))).stream()
                    .map(ConsumerRecord::value).toList();
            assertEquals(IntStream.range(0, count).mapToObj(Integer::toString).toList(), values,
                    copied.describe("the copy is not the input exactly once"));
        }
    }

    /** kafka-transactions (TransactionsCommand): list, describe and describe-producers show an open transaction. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaTransactionsListsAndDescribesAnOpenTransactionAndItsProducer(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("txn-cli");
        String id = Clients.uniqueTopic("txn-cli");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = transactional(broker, id)) {
            producer.initTransactions();
            producer.beginTransaction();
            Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "v")));

            ProcessResult listed = transactionsTool(broker, "list");
            assertTrue(listed.stdoutLines().stream().map(l -> List.of(l.trim().split("\\s+")))
                            .anyMatch(cols -> cols.get(0).equals(id) && cols.contains("Ongoing")),
                    listed.describe("list does not show the open transaction"));
            ProcessResult described = transactionsTool(broker, "describe", "--transactional-id", id);
            assertTrue(described.stdout().contains("Ongoing") && described.stdout().contains(topic + "-0"),
                    described.describe("describe does not show the open transaction and its partition"));
            ProcessResult producers = transactionsTool(broker, "describe-producers", "--topic", topic, "--partition", "0");
            // Columns: ProducerId ProducerEpoch LatestCoordinatorEpoch LastSequence LastTimestamp CurrentTransactionStartOffset
            assertTrue(producers.stdoutLines().stream().map(l -> List.of(l.trim().split("\\s+")))
                            .anyMatch(cols -> cols.size() == 6 && cols.get(3).equals("0") && cols.get(5).equals("0")),
                    producers.describe("describe-producers does not show the producer, sequence 0, transaction from offset 0"));
            producer.commitTransaction();
        }
    }

    private static ProcessResult transactionsTool(Broker broker, String... args) {
        return ToolRunner.succeedAgainst(broker, "org.apache.kafka.tools.TransactionsCommand", args);
    }

    /**
     * A read_committed consumer fetching while transactions are written and mostly aborted sees only
     * what was committed: an undecided batch is held back from the moment any fetch could read it,
     * not from the moment its produce is answered.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aReadCommittedConsumerFetchingAlongsideAbortedTransactionsNeverSeesTheirRecords(Target target)
            throws InterruptedException {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("txn-undecided");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        int transactions = 400;
        java.util.Set<String> committed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> seen = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Throwable> writerFailure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, Clients.uniqueTopic("txn-undecided"),
                    ProducerConfig.LINGER_MS_CONFIG, 0))) {
                producer.initTransactions();
                for (int t = 0; t < transactions; t++) {
                    producer.beginTransaction();
                    List<String> values = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        String value = "t" + t + "-" + i;
                        values.add(value);
                        Clients.get(producer.send(new ProducerRecord<>(topic, i % 2, "k", value)));
                    }
                    if (t % 4 == 0) {
                        committed.addAll(values);
                        producer.commitTransaction();
                    } else {
                        producer.abortTransaction();
                    }
                }
            } catch (Throwable e) {
                writerFailure.set(e);
            } finally {
                writing.set(false);
            }
        }, "txn-undecided-writer");
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5))) {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            writer.start();
            while (writing.get()) {
                consumer.poll(Duration.ofMillis(5)).forEach(r -> seen.add(r.value()));
            }
            writer.join();
            assertEquals(null, writerFailure.get(), "the transactional writer failed");
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            Clients.readUntil(consumer, end).forEach(r -> seen.add(r.value()));
        }
        List<String> undecided = seen.stream().filter(v -> !committed.contains(v)).limit(10).toList();
        assertEquals(List.of(), undecided, "records of aborted transactions read under read_committed");
        assertEquals(committed.size(), seen.size(), "every committed record once");
    }

    /**
     * A transaction left open past its transaction.timeout.ms is aborted by the coordinator, which
     * bumps the producer's epoch (transactions V2, KIP-890): read_committed consumers move on; the
     * producer's commit, at the epoch before the bump, is answered as Kafka 4.4 answers it
     * (INVALID_TXN_STATE: the transaction it names ended as an abort), and so are the requests
     * that producer could still send, at that epoch and the one before. A new producer of the same
     * transactional id carries on.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aTransactionOpenPastItsTimeoutIsAbortedAndItsCommitFailsAsAnInvalidTransactionState(Target target) {
        try (Broker broker = target.start("txn-timeout", Map.of(
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", "500"))) {
            String topic = Clients.uniqueTopic("txn-timeout");
            String id = Clients.uniqueTopic("txn-timeout");
            Clients.createTopics(broker, Clients.topic(topic, 1));
            TopicPartition tp = new TopicPartition(topic, 0);
            List<String> seen = new ArrayList<>();
            long producerId;
            short epoch;
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, id, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2000));
                 KafkaConsumer<String, String> consumer = isolated(broker, "read_committed");
                 Admin admin = Clients.admin(broker)) {
                producer.initTransactions();
                // One committed transaction first, so that the epoch before the timed-out one exists.
                producer.beginTransaction();
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "committed")));
                producer.commitTransaction();
                producer.beginTransaction();
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "abandoned")));
                TransactionDescription open = Clients.get(admin.describeTransactions(List.of(id)).description(id));
                producerId = open.producerId();
                epoch = (short) open.producerEpoch();
                assertEquals(2L, consumer.endOffsets(List.of(tp)).get(tp), "held at the open transaction");
                Await.until(Duration.ofSeconds(60), "the coordinator aborts the timed-out transaction",
                        () -> consumer.endOffsets(List.of(tp)).get(tp) == 4L);
                TransactionDescription aborted = Clients.get(admin.describeTransactions(List.of(id)).description(id));
                seen.add("after the timeout: " + aborted.state() + " " + relative(aborted.producerId(), producerId,
                        (short) aborted.producerEpoch(), epoch));
                seen.add("commitTransaction: " + outcome(producer::commitTransaction));
                seen.add("abortTransaction: " + outcome(producer::abortTransaction));
            }
            try (RawKafkaConnection raw = RawKafkaConnection.open(broker)) {
                for (short e : new short[] {epoch, (short) (epoch - 1)}) {
                    for (boolean commit : new boolean[] {true, false}) {
                        EndTxnResponse r = raw.exchange(new EndTxnRequest.Builder(new EndTxnRequestData()
                                .setTransactionalId(id).setProducerId(producerId).setProducerEpoch(e)
                                .setCommitted(commit), true).build((short) 5));
                        seen.add("EndTxn v5 " + (commit ? "commit" : "abort") + " at " + relative(e, epoch) + ": "
                                + r.error() + answered(r.data().producerId(), producerId, r.data().producerEpoch(), epoch));
                    }
                }
                AddPartitionsToTxnResponse added = raw.exchange(AddPartitionsToTxnRequest.Builder.forClient(id,
                        producerId, epoch, List.of(tp)).build((short) 3));
                seen.add("AddPartitionsToTxn v3 at E: " + added.errors().get(AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID)
                        .get(tp));
                ProduceResponse produced = raw.exchange(transactionalProduce(id, tp, producerId, epoch));
                seen.add("Produce v12 at E: " + Errors.forCode(produced.data().responses().iterator().next()
                        .partitionResponses().get(0).errorCode()));
                InitProducerIdResponse init = raw.exchange(new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                        .setTransactionalId(id).setTransactionTimeoutMs(2000).setProducerId(producerId)
                        .setProducerEpoch(epoch)).build((short) 5));
                seen.add("InitProducerId v5 naming E: " + init.error()
                        + answered(init.data().producerId(), producerId, init.data().producerEpoch(), epoch));
            }
            try (KafkaProducer<String, String> next = Clients.producer(broker, Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, id, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2000))) {
                next.initTransactions();
                next.beginTransaction();
                Clients.get(next.send(new ProducerRecord<>(topic, 0, "k", "next")));
                next.commitTransaction();
            }
            try (KafkaConsumer<String, String> consumer = isolated(broker, "read_committed")) {
                seen.add("read_committed: " + Clients.readToEnd(consumer, List.of(tp)).stream()
                        .map(ConsumerRecord::value).toList());
            }
            // As Kafka 4.4 answered (E: the epoch of the timed-out transaction; the abort bumped it once).
            assertEquals(List.of(
                    "after the timeout: CompleteAbort same producer id epoch E+1",
                    "commitTransaction: InvalidTxnStateException",
                    // The failed commit is fatal to that producer: it can only be closed.
                    "abortTransaction: KafkaException (InvalidTxnStateException)",
                    "EndTxn v5 commit at E: INVALID_TXN_STATE",
                    "EndTxn v5 abort at E: NONE, same producer id epoch E+1",
                    "EndTxn v5 commit at E-1: PRODUCER_FENCED",
                    "EndTxn v5 abort at E-1: PRODUCER_FENCED",
                    "AddPartitionsToTxn v3 at E: PRODUCER_FENCED",
                    "Produce v12 at E: INVALID_PRODUCER_EPOCH",
                    "InitProducerId v5 naming E: NONE, same producer id epoch E+1",
                    "read_committed: [committed, next]"),
                    seen, target + " answered the timed-out producer differently from Kafka 4.4");
        }
    }

    private static String outcome(Runnable call) {
        try {
            call.run();
            return "ok";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")");
        }
    }

    private static String relative(short epoch, short base) {
        int d = epoch - base;
        return d == 0 ? "E" : d > 0 ? "E+" + d : "E" + d;
    }

    private static String relative(long producerId, long base, short epoch, short baseEpoch) {
        return (producerId == base ? "same producer id" : "another producer id") + " epoch " + relative(epoch, baseEpoch);
    }

    private static String answered(long producerId, long base, short epoch, short baseEpoch) {
        return producerId == -1 ? "" : ", " + relative(producerId, base, epoch, baseEpoch);
    }

    private static ProduceRequest transactionalProduce(String id, TopicPartition tp, long producerId, short epoch) {
        MemoryRecords records = MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, 1,
                new SimpleRecord("k".getBytes(StandardCharsets.UTF_8), "late".getBytes(StandardCharsets.UTF_8)));
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000).setTransactionalId(id);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(tp.topic()).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(tp.partition()).setRecords(records))));
        return ProduceRequest.builder(data, true).build((short) 12);
    }

    /** A transaction open across a gateway restart is still open after it, and commits. */
    @Test
    void anOpenTransactionSurvivesAGatewayRestartAndCommits() {
        try (Broker broker = Target.WEIR.start("txn-restart", Map.of())) {
            String topic = Clients.uniqueTopic("txn-restart");
            Clients.createTopics(broker, Clients.topic(topic, 2));
            try (KafkaProducer<String, String> producer = transactional(broker, Clients.uniqueTopic("txn-restart"))) {
                producer.initTransactions();
                producer.beginTransaction();
                Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "before-restart")));
                broker.stop();
                broker.restart();
                Clients.get(producer.send(new ProducerRecord<>(topic, 1, "k", "after-restart")));
                producer.commitTransaction();
            }
            try (KafkaConsumer<String, String> consumer = isolated(broker, "read_committed")) {
                List<String> values = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0),
                        new TopicPartition(topic, 1))).stream().map(ConsumerRecord::value).sorted().toList();
                assertEquals(List.of("after-restart", "before-restart"), values);
            }
        }
    }

    /**
     * AddPartitionsToTxn v5 as brokers send it: several transactions in one request, verify-only:
     * the answers per partition must be Kafka's.
     */
    @Test
    void batchedVerifyOnlyAddPartitionsToTxnAnswersAsKafkaDoes() {
        Broker kafka = brokers.on(Target.KAFKA);
        Broker candidate = brokers.on(Target.isSelected(Target.WEIR) ? Target.WEIR : Target.KAFKA);
        assertEquals(verifyOnly(kafka), verifyOnly(candidate), candidate.target() + " verified differently from Kafka");
    }

    private static String verifyOnly(Broker broker) {
        String topic = Clients.uniqueTopic("txn-verify");
        String id = Clients.uniqueTopic("txn-verify");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        try (KafkaProducer<String, String> producer = transactional(broker, id);
             Admin admin = Clients.admin(broker);
             RawKafkaConnection raw = RawKafkaConnection.open(broker)) {
            producer.initTransactions();
            producer.beginTransaction();
            Clients.get(producer.send(new ProducerRecord<>(topic, 0, "k", "v")));
            TransactionDescription d = Clients.get(admin.describeTransactions(List.of(id)).description(id));
            var topics = new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
            topics.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic()
                    .setName(topic).setPartitions(List.of(0, 1)));
            var transactions = new org.apache.kafka.common.message.AddPartitionsToTxnRequestData
                    .AddPartitionsToTxnTransactionCollection();
            transactions.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction()
                    .setTransactionalId(id).setProducerId(d.producerId()).setProducerEpoch((short) d.producerEpoch())
                    .setVerifyOnly(true).setTopics(topics.duplicate()));
            transactions.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction()
                    .setTransactionalId(id + "-unknown").setProducerId(d.producerId() + 1000).setProducerEpoch((short) 0)
                    .setVerifyOnly(true).setTopics(topics.duplicate()));
            org.apache.kafka.common.requests.AddPartitionsToTxnResponse response = raw.exchange(
                    org.apache.kafka.common.requests.AddPartitionsToTxnRequest.Builder.forBroker(transactions).build((short) 5));
            producer.abortTransaction();
            java.util.TreeMap<String, String> seen = new java.util.TreeMap<>();
            response.errors().forEach((txn, errors) -> errors.forEach((tp, e) ->
                    seen.put((txn.equals(id) ? "open" : "unknown") + " " + tp.partition(), e.name())));
            return seen.toString();
        }
    }
}
