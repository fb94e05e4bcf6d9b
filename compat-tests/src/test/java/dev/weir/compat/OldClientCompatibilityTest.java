package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.compat.oldclient.OldClientGroupMember;
import dev.weir.compat.oldclient.OldClientRoundTrip;
import dev.weir.compat.oldclient.OldClientTransactionTimeout;
import dev.weir.compat.oldclient.OldClientTransactions;
import dev.weir.compat.oldclient.StaticLeaderRestart;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Applications still on kafka-clients 2.8 and 3.9 produce and consume, and their records and the
 * current client's records are the same records to both.
 */
class OldClientCompatibilityTest {
    private static final int NEW_RECORDS = 5;
    private static final int OLD_RECORDS = 20;
    /** The kafka-clients version of the test class path, run in this JVM rather than a child. */
    private static final String CURRENT = "current";

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    /** Brokers that look for timed-out transactions every half second (Kafka's default is ten seconds). */
    @RegisterExtension
    static final Brokers timeoutBrokers = Brokers.dedicated("old-txn-timeout", Map.of(
            "transaction.abort.timed.out.transaction.cleanup.interval.ms", "500"));

    static Stream<Arguments> targetsAndOldVersions() {
        return Target.selectedWith(OldClientRunner.versions().toArray());
    }

    static Stream<Arguments> targetsAndAllVersions() {
        return Target.selectedWith(Stream.concat(OldClientRunner.versions().stream(), Stream.of(CURRENT)).toArray());
    }

    @ParameterizedTest(name = "{0} kafka-clients {1}")
    @MethodSource("targetsAndOldVersions")
    void anOldClientProducesAndConsumesAlongsideTheCurrentClient(Target target, String version) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("old-client-" + version.replace('.', '-'));
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < NEW_RECORDS; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, OldClientRoundTrip.BASE_TIMESTAMP - 100 + i,
                        "new-" + i, "from-current-" + i);
                record.headers().add(new RecordHeader("client-version", "current".getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
            }
            producer.flush();
        }

        ProcessResult run = OldClientRunner.run(version, List.of(broker.bootstrapServers(), topic, Integer.toString(OLD_RECORDS), "zstd"))
                .assertSucceeded();
        List<String> lines = run.stdoutLines();
        assertEquals("client-version\t" + version, lines.get(0), "the child JVM ran kafka-clients " + version + ", not 4.x");

        List<String> produced = lines.stream().filter(l -> l.startsWith("produced\t")).toList();
        List<String> expectedProduced = IntStream.range(0, OLD_RECORDS)
                .mapToObj(i -> "produced\t0\t" + (NEW_RECORDS + i) + "\t" + (OldClientRoundTrip.BASE_TIMESTAMP + i)).toList();
        assertEquals(expectedProduced, produced, "offsets and timestamps acknowledged to the old producer");

        List<String> consumedByOld = lines.stream().filter(l -> l.startsWith("record\t")).toList();
        assertEquals("done\t" + (NEW_RECORDS + OLD_RECORDS), lines.get(lines.size() - 1), "the old consumer's count");

        List<ConsumerRecord<String, String>> consumedByNew;
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            consumedByNew = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < NEW_RECORDS; i++) {
            expected.add(line(i, OldClientRoundTrip.BASE_TIMESTAMP - 100 + i, "new-" + i, "from-current-" + i, "client-version=current"));
        }
        for (int i = 0; i < OLD_RECORDS; i++) {
            expected.add(line(NEW_RECORDS + i, OldClientRoundTrip.BASE_TIMESTAMP + i, "old-" + i, "from-" + version + "-" + i,
                    "client-version=" + version));
        }
        assertEquals(expected, consumedByOld, "what the old consumer read");
        assertEquals(expected, consumedByNew.stream().map(r -> line(r.offset(), r.timestamp(), r.key(), r.value(),
                OldClientRoundTrip.headersText(r.headers()))).toList(), "what the current consumer read");
    }

    private static String line(long offset, long timestamp, String key, String value, String headers) {
        return "record\t" + offset + "\t" + timestamp + "\tCreateTime\t" + key + "\t" + value + "\t" + headers;
    }

    @ParameterizedTest(name = "{0} kafka-clients {1}")
    @MethodSource("targetsAndOldVersions")
    void anOldClientConsumesAsAGroupMemberAndResumesFromItsCommits(Target target, String version) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("old-group-" + version.replace('.', '-'));
        String group = Clients.uniqueTopic("old-group-" + version.replace('.', '-'));
        Clients.createTopics(broker, Clients.topic(topic, 2));
        produceSpread(broker, topic, 0, 20);

        List<String> first = runMember(version, broker, topic, group, 20);
        assertEquals(expectedRecords(0, 20), records(first), "the first member read every record once");
        assertEquals(List.of("committed\t0\t10", "committed\t1\t10"),
                first.stream().filter(l -> l.startsWith("committed\t")).sorted().toList(), "its commits");
        assertEquals(List.of("generation\ttrue"), first.stream().filter(l -> l.startsWith("generation\t")).toList());

        produceSpread(broker, topic, 20, 10);
        List<String> second = runMember(version, broker, topic, group, 10);
        assertEquals(expectedRecords(20, 10), records(second), "the next member resumed after the commits");
    }

    /** Transactions before KIP-890 (AddPartitionsToTxn, EndTxn without epoch bumps) from old clients. */
    @ParameterizedTest(name = "{0} kafka-clients {1}")
    @MethodSource("targetsAndOldVersions")
    void anOldTransactionalProducerCommitsAndAbortsAndReadCommittedSeesOnlyTheCommitted(Target target, String version) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("old-txn-" + version.replace('.', '-'));
        Clients.createTopics(broker, Clients.topic(topic, 1));
        List<String> lines = OldClientRunner.run(version, OldClientTransactions.class,
                List.of(broker.bootstrapServers(), topic, Clients.uniqueTopic("old-txn"))).assertSucceeded().stdoutLines();
        // Offsets: 0-2 first transaction, 3 its commit marker, 4-6 aborted data, 7 abort marker, 8-10, 11 marker.
        assertEquals(List.of("record\t0\tcommit-0-0", "record\t1\tcommit-0-1", "record\t2\tcommit-0-2",
                "record\t8\tcommit-2-0", "record\t9\tcommit-2-1", "record\t10\tcommit-2-2"),
                lines.stream().filter(l -> l.startsWith("record\t")).toList());
        assertEquals(List.of("end\t12"), lines.stream().filter(l -> l.startsWith("end\t")).toList());
    }

    /**
     * Transactions V1: a transaction open past its timeout is aborted by the coordinator, which
     * fences its producer: the old client's commit fails as it does on Kafka 4.4, its abort too,
     * and a new producer of the same transactional id carries on.
     */
    @ParameterizedTest(name = "{0} kafka-clients {1}")
    @MethodSource("targetsAndOldVersions")
    void anOldTransactionalProducerPastItsTimeoutIsFencedAsOnKafka(Target target, String version) {
        Broker broker = timeoutBrokers.on(target);
        String topic = Clients.uniqueTopic("old-txn-timeout-" + version.replace('.', '-'));
        Clients.createTopics(broker, Clients.topic(topic, 1));
        List<String> lines = OldClientRunner.run(version, OldClientTransactionTimeout.class,
                List.of(broker.bootstrapServers(), topic, Clients.uniqueTopic("old-txn-timeout"))).assertSucceeded()
                .stdoutLines().stream().filter(l -> l.matches("(aborted|commit|abort|next|record|end)\\b.*")).toList();
        // Offsets: 0 the abandoned record, 1 the coordinator's abort marker, 2 the next record, 3 its marker.
        assertEquals(List.of("aborted by the coordinator", "commit\tProducerFencedException",
                "abort\tProducerFencedException", "next\tcommitted", "record\t2\tnext", "end\t4"), lines);
    }

    /**
     * A static group leader restarted with the same group.instance.id within its session timeout
     * gets its partitions back in the generation it left, and the other member is not rebalanced:
     * no callback, same partitions, same generation. Before JoinGroup v9 (kafka-clients 2.8) a
     * client cannot be told to skip the assignment, so Kafka does not name it the leader.
     */
    @ParameterizedTest(name = "{0} kafka-clients {1}")
    @MethodSource("targetsAndAllVersions")
    void aRestartedStaticLeaderGetsItsPartitionsBackAndTheOtherMemberIsNotRebalanced(Target target, String version) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("static-leader-" + version.replace('.', '-'));
        String group = Clients.uniqueTopic("static-leader-" + version.replace('.', '-'));
        Clients.createTopics(broker, Clients.topic(topic, 4));
        List<String> args = List.of(broker.bootstrapServers(), topic, group, "4", "30000");
        List<String> lines = CURRENT.equals(version) ? runInThisJvm(args)
                : OldClientRunner.run(version, StaticLeaderRestart.class, args).assertSucceeded().stdoutLines();
        String all = String.join("\n", lines);

        String[] leader = fields(lines, "stable\tleader\t");
        String[] other = fields(lines, "stable\tother\t");
        assertEquals(leader[3], other[3], "one generation before the restart\n" + all);
        String[] rejoined = fields(lines, "rejoined\t");
        assertEquals(leader[2], rejoined[1], "the restarted leader's partitions within the session timeout\n" + all);
        List<String> afterRestart = lines.subList(lines.indexOf("restart"), lines.indexOf("closing"));
        assertEquals(List.of(), afterRestart.stream().filter(l -> l.matches("(revoked|assigned)\tother\t.*")).toList(),
                "the other member saw no rebalance\n" + all);
        assertEquals(List.of("final", "other", other[2], other[3]), List.of(fields(lines, "final\tother\t")),
                "the other member's partitions and generation\n" + all);
        assertEquals(List.of("final", "restarted", leader[2], leader[3]), List.of(fields(lines, "final\trestarted\t")),
                "the restarted leader is back in the same generation\n" + all);
    }

    private static List<String> runInThisJvm(List<String> args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            StaticLeaderRestart.run(args.toArray(new String[0]), out);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).toList();
    }

    /** The tab-separated fields of the one line starting with {@code prefix}. */
    private static String[] fields(List<String> lines, String prefix) {
        List<String> matching = lines.stream().filter(l -> l.startsWith(prefix)).toList();
        assertEquals(1, matching.size(), "one line starting with " + prefix.replace("\t", " ") + "\n" + String.join("\n", lines));
        return matching.get(0).split("\t");
    }

    private static List<String> runMember(String version, Broker broker, String topic, String group, int count) {
        return OldClientRunner.run(version, OldClientGroupMember.class,
                List.of(broker.bootstrapServers(), topic, group, Integer.toString(count))).assertSucceeded().stdoutLines();
    }

    private static void produceSpread(Broker broker, String topic, int from, int count) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    /** "record partition offset value" lines for values from..from+count spread over two partitions, sorted. */
    private static List<String> expectedRecords(int from, int count) {
        return IntStream.range(from, from + count).mapToObj(i -> "record\t" + (i % 2) + "\t" + (i / 2) + "\tv" + i)
                .sorted().toList();
    }

    private static List<String> records(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("record\t")).sorted().toList();
    }
}
