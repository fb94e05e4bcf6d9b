package dev.weir.compat.oldclient;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Two static members (range assignor) of one group on one topic; the first to join, the group's
 * leader, is closed (a static member's close sends no LeaveGroup) and restarted with the same
 * group.instance.id while the other keeps polling. Runs on an old kafka-clients jar in a child JVM
 * (same constraints as {@link OldClientRoundTrip}: 2.8 APIs only, one class, no nested classes) or
 * in the test JVM on the current client through {@link #run}. The instance is its own rebalance
 * listener, so every callback a member sees is printed.
 *
 * <p>Prints: {@code stable\tMEMBER\tPARTITIONS\tGENERATION} once both members own partitions,
 * {@code restart}, then {@code rejoined\tPARTITIONS\tMILLIS} (the restarted leader's partitions and
 * how long after the close it had them, or {@code rejoined\tnone} if not within the session
 * timeout), {@code final\tMEMBER\tPARTITIONS\tGENERATION} after a short settle, {@code closing}
 * before the members close, and {@code revoked|assigned\tMEMBER\tPARTITIONS} for every callback as
 * it happens.
 *
 * <p>Arguments: bootstrap-servers topic group partition-count session-timeout-ms.
 */
public final class StaticLeaderRestart implements ConsumerRebalanceListener {
    private static final long SETTLE_MS = 3000;
    private static final long JOIN_TIMEOUT_MS = 60_000;

    private final String member;
    private final PrintStream out;

    private StaticLeaderRestart(String member, PrintStream out) {
        this.member = member;
        this.out = out;
    }

    public static void main(String[] args) {
        run(args, System.out);
    }

    public static void run(String[] args, PrintStream out) {
        String topic = args[1];
        int partitions = Integer.parseInt(args[3]);
        long sessionTimeoutMs = Long.parseLong(args[4]);
        KafkaConsumer<String, String> leader = member(args, "leader");
        KafkaConsumer<String, String> other = null;
        KafkaConsumer<String, String> restarted = null;
        try {
            leader.subscribe(Collections.singletonList(topic), new StaticLeaderRestart("leader", out));
            long deadline = System.currentTimeMillis() + JOIN_TIMEOUT_MS;
            while (leader.assignment().size() < partitions) {
                check(deadline, "the leader alone owns every partition");
                leader.poll(Duration.ofMillis(100));
            }
            other = member(args, "other");
            other.subscribe(Collections.singletonList(topic), new StaticLeaderRestart("other", out));
            deadline = System.currentTimeMillis() + JOIN_TIMEOUT_MS;
            while (leader.assignment().isEmpty() || other.assignment().isEmpty()
                    || leader.assignment().size() + other.assignment().size() != partitions) {
                check(deadline, "both members own partitions");
                leader.poll(Duration.ofMillis(100));
                other.poll(Duration.ofMillis(100));
            }
            out.println("stable\tleader\t" + sorted(leader.assignment()) + "\t" + leader.groupMetadata().generationId());
            out.println("stable\tother\t" + sorted(other.assignment()) + "\t" + other.groupMetadata().generationId());

            out.println("restart");
            leader.close();
            leader = null;
            long closed = System.currentTimeMillis();
            restarted = member(args, "leader");
            restarted.subscribe(Collections.singletonList(topic), new StaticLeaderRestart("restarted", out));
            while (restarted.assignment().isEmpty() && System.currentTimeMillis() - closed < sessionTimeoutMs) {
                restarted.poll(Duration.ofMillis(100));
                other.poll(Duration.ofMillis(100));
            }
            if (restarted.assignment().isEmpty()) {
                out.println("rejoined\tnone");
            } else {
                out.println("rejoined\t" + sorted(restarted.assignment()) + "\t" + (System.currentTimeMillis() - closed));
            }
            // A rebalance the rejoin set off would reach the other member within a heartbeat or two.
            long settled = System.currentTimeMillis() + SETTLE_MS;
            while (System.currentTimeMillis() < settled) {
                restarted.poll(Duration.ofMillis(100));
                other.poll(Duration.ofMillis(100));
            }
            out.println("final\trestarted\t" + sorted(restarted.assignment()) + "\t"
                    + restarted.groupMetadata().generationId());
            out.println("final\tother\t" + sorted(other.assignment()) + "\t" + other.groupMetadata().generationId());
        } finally {
            out.println("closing"); // closing members call their listeners too
            close(leader);
            close(other);
            close(restarted);
        }
    }

    private static KafkaConsumer<String, String> member(String[] args, String instance) {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("group.id", args[2]);
        props.put("group.instance.id", instance);
        props.put("session.timeout.ms", args[4]);
        props.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        return new KafkaConsumer<>(props);
    }

    private static void close(KafkaConsumer<String, String> consumer) {
        if (consumer != null) {
            consumer.close();
        }
    }

    private static void check(long deadline, String what) {
        if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("timed out waiting until " + what);
        }
    }

    private static String sorted(Collection<TopicPartition> partitions) {
        List<Integer> ids = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            ids.add(tp.partition());
        }
        Collections.sort(ids);
        return ids.toString();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        out.println("revoked\t" + member + "\t" + sorted(partitions));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        out.println("assigned\t" + member + "\t" + sorted(partitions));
    }
}
