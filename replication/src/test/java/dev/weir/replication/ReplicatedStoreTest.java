package dev.weir.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.codahale.metrics.MetricRegistry;
import dev.weir.storage.Append;
import dev.weir.storage.AppendResult;
import dev.weir.storage.AttributeUpdate;
import dev.weir.storage.Entry;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.NotLeaderException;
import dev.weir.storage.ReadResult;
import dev.weir.storage.StoredEntry;
import dev.weir.storage.StoreOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas of one store in this JVM, each its own Raft server on a real socket and its own
 * LMDB environments: what the leader acknowledges is on every replica at the same offsets.
 */
class ReplicatedStoreTest {
    private static final int CONTAINERS = 3;
    private static final String SEGMENT = "orders/0";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private Map<Integer, InetSocketAddress> nodes;
    private final Map<Integer, RatisLog.Replica> replicas = new LinkedHashMap<>();

    @BeforeEach
    void startCluster() throws IOException {
        nodes = new LinkedHashMap<>();
        for (int id = 1; id <= 3; id++) {
            nodes.put(id, InetSocketAddress.createUnresolved("127.0.0.1", freePort()));
        }
        for (int id : nodes.keySet()) {
            start(id);
        }
    }

    @AfterEach
    void stopCluster() {
        replicas.values().forEach(RatisLog.Replica::close);
        replicas.clear();
    }

    @Test
    void appendsReachEveryReplicaAtTheSameOffsetsAndAttributes() throws Exception {
        RatisLog.Replica leader = leaderOf(SEGMENT);
        leader.store().createSegment(SEGMENT).get(30, TimeUnit.SECONDS);
        List<AppendResult> acks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acks.add(leader.store().append(SEGMENT, new Append(List.of(entry("r" + i, 2)), Append.ANY_OFFSET,
                    List.of(AttributeUpdate.replace(7, i)))).get(30, TimeUnit.SECONDS));
        }
        assertEquals(0, acks.get(0).baseOffset());
        assertEquals(98, acks.get(49).baseOffset());
        awaitCaughtUp(SEGMENT);
        for (RatisLog.Replica r : replicas.values()) {
            assertEquals(List.of("r0@0", "r1@2", "r49@98"), pick(readAll(r.store(), SEGMENT), 0, 1, 49),
                    "replica " + r.log().nodeId());
            assertEquals(100, r.store().getInfo(SEGMENT).get().nextOffset());
            assertEquals(49L, r.store().getAttributes(SEGMENT, List.of(7L)).get().get(7L));
        }
    }

    @Test
    void aFollowerRefusesWritesAndNamesTheLeader() throws Exception {
        RatisLog.Replica leader = leaderOf(SEGMENT);
        leader.store().createSegment(SEGMENT).get(30, TimeUnit.SECONDS);
        RatisLog.Replica follower = replicas.values().stream().filter(r -> r != leader).findFirst().orElseThrow();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> follower.store().append(SEGMENT, Append.of(entry("x", 1))).get(30, TimeUnit.SECONDS));
        NotLeaderException nle = assertInstanceOf(NotLeaderException.class, e.getCause());
        assertEquals(leader.log().nodeId(), nle.leader());
    }

    @Test
    void acknowledgedAppendsSurviveTheLeadersCrashAndItRejoins() throws Exception {
        RatisLog.Replica leader = leaderOf(SEGMENT);
        leader.store().createSegment(SEGMENT).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
            leader.store().append(SEGMENT, Append.of(entry("a" + i, 1))).get(30, TimeUnit.SECONDS);
        }
        int crashed = leader.log().nodeId();
        leader.halt();
        replicas.remove(crashed);

        RatisLog.Replica next = leaderOf(SEGMENT);
        assertNotEquals(crashed, next.log().nodeId());
        AppendResult after = appendRetrying(next, "b0");
        assertEquals(20, after.baseOffset(), "the new leader continues after every acknowledged append");
        for (int i = 1; i < 10; i++) {
            appendRetrying(leaderOf(SEGMENT), "b" + i);
        }

        start(crashed);
        awaitCaughtUp(SEGMENT);
        List<String> back = readAll(replicas.get(crashed).store(), SEGMENT);
        assertEquals(30, back.size());
        assertEquals("a0@0", back.get(0));
        assertEquals("a19@19", back.get(19));
        assertEquals("b9@29", back.get(29));
    }

    @Test
    void aFollowerThatWasDownWhileWritesWentOnCatchesUp() throws Exception {
        RatisLog.Replica leader = leaderOf(SEGMENT);
        leader.store().createSegment(SEGMENT).get(30, TimeUnit.SECONDS);
        int down = replicas.keySet().stream().filter(id -> id != leader.log().nodeId()).findFirst().orElseThrow();
        replicas.remove(down).halt();
        for (int i = 0; i < 30; i++) {
            appendRetrying(leaderOf(SEGMENT), "w" + i);
        }
        start(down);
        awaitCaughtUp(SEGMENT);
        List<String> back = readAll(replicas.get(down).store(), SEGMENT);
        assertEquals(30, back.size());
        assertEquals("w29@29", back.get(29));
    }

    // ------------------------------------------------------------------ helpers

    private void start(int id) {
        Path home = dir.resolve("node-" + id);
        ClusterConfig config = new ClusterConfig(id, nodes, home.resolve("raft"), "test",
                Duration.ofMillis(500), Duration.ofSeconds(10));
        StoreOptions options = new StoreOptions(home.resolve("data"), CONTAINERS, false, 1L << 30, 1L << 20,
                new MetricRegistry());
        replicas.put(id, RatisLog.open(config, options));
    }

    private RatisLog.Replica leaderOf(String segment) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (RatisLog.Replica r : replicas.values()) {
                if (r.log().isLeader(r.store().containerOf(segment))) {
                    return r;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new AssertionError("no leader for " + segment + " within " + WAIT);
    }

    /** Retries while leadership settles: a write may race an election and be refused as not led here. */
    private AppendResult appendRetrying(RatisLog.Replica r, String payload) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        RatisLog.Replica target = r;
        while (true) {
            try {
                return target.store().append(SEGMENT, Append.of(entry(payload, 1))).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof NotLeaderException) || System.nanoTime() > deadline) {
                    throw e;
                }
                target = leaderOf(SEGMENT);
            }
        }
    }

    private void awaitCaughtUp(String segment) throws Exception {
        RatisLog.Replica leader = leaderOf(segment);
        int c = leader.store().containerOf(segment);
        long target = leader.store().appliedIndex(c);
        await(() -> replicas.values().stream().allMatch(r -> r.store().appliedIndex(c) >= target),
                "every replica applies index " + target + " of container " + c);
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private static List<String> readAll(LmdbSegmentStore store, String segment) throws Exception {
        List<String> out = new ArrayList<>();
        long offset = store.getInfo(segment).get().startOffset();
        while (true) {
            ReadResult r = store.read(segment, offset, 1 << 20).get();
            if (r.entries().isEmpty()) {
                return out;
            }
            for (StoredEntry e : r.entries()) {
                ByteBuffer b = e.data().duplicate();
                long stamped = b.getLong();
                out.add(StandardCharsets.UTF_8.decode(b).toString() + "@" + stamped);
                offset = e.lastOffset() + 1;
            }
        }
    }

    private static List<String> pick(List<String> all, int... indexes) {
        List<String> out = new ArrayList<>();
        for (int i : indexes) {
            out.add(all.get(i));
        }
        return out;
    }

    /** 8 bytes for the stamped base offset, then the payload, like a Kafka batch header. */
    private static Entry entry(String payload, int records) {
        byte[] text = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(8 + text.length);
        data.putLong(-1L).put(text).flip();
        return new Entry(data, records, System.currentTimeMillis(), (buf, base) -> buf.putLong(buf.position(), base));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

}
