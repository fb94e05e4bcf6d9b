package dev.weir.jmh;

import com.codahale.metrics.MetricRegistry;
import dev.weir.storage.Append;
import dev.weir.storage.Entry;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.ReadResult;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoreOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The segment store on its own: append throughput by batch size, container count and fsync, and
 * reads of the tail (copied, or shared as views of the cache) versus older data, with the append
 * cache on and off.
 * {@code java -jar jmh/target/benchmarks.jar StoreBenchmark -p sync=false -p containers=1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-Xmx1g"})
public class StoreBenchmark {
    /** Appends a producer pipelines before it waits, as a Kafka producer's in-flight batches do. */
    private static final int IN_FLIGHT = 64;
    private static final int SEGMENTS_PER_CONTAINER = 2;
    private static final int READ_ENTRIES = 20_000;

    @Param({"1024", "16384", "65536"})
    public int batchBytes;

    @Param({"1", "4"})
    public int containers;

    @Param({"true", "false"})
    public boolean sync;

    /** The append cache: 256 MiB, or 0 (off, every read from LMDB). */
    @Param({"268435456", "0"})
    public long cacheBytes;

    private Path dir;
    private SegmentStore store;
    private String[] segments;
    private ByteBuffer batch;
    private int next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("weir-jmh");
        store = LmdbSegmentStore.open(new StoreOptions(dir, containers, sync, 64L << 30, 64L << 20,
                new MetricRegistry(), cacheBytes));
        segments = new String[containers * SEGMENTS_PER_CONTAINER];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = "bench-" + i;
            store.createSegment(segments[i]).join();
        }
        batch = ByteBuffer.allocate(batchBytes);
        ThreadLocalRandom.current().nextBytes(batch.array());
        // The read benchmarks read the first segment: fill it with READ_ENTRIES entries.
        for (int done = 0; done < READ_ENTRIES; done += IN_FLIGHT) {
            appendPipelined(segments[0]);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Entry entry(ByteBuffer data) {
        return new Entry(data.duplicate(), 1, 0L, (bytes, baseOffset) -> { });
    }

    private void appendPipelined(String segment) {
        CompletableFuture<?>[] pending = new CompletableFuture<?>[IN_FLIGHT];
        for (int i = 0; i < IN_FLIGHT; i++) {
            pending[i] = store.append(segment, Append.of(entry(batch)));
        }
        CompletableFuture.allOf(pending).join();
    }

    /** Batches appended per second, IN_FLIGHT at a time, spread over every container's segments. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void append() {
        appendPipelined(segments[next++ % segments.length]);
    }

    /** A consumer at the tail: reads the last entries of a segment. */
    @Benchmark
    public void readTail(Blackhole bh) {
        long end = store.getInfo(segments[0]).join().nextOffset();
        ReadResult r = store.read(segments[0], end - 16, 1 << 20).join();
        bh.consume(r);
    }

    /**
     * A consumer at the tail as Fetch reads it: the same entries as {@link #readTail}, as views of
     * the cache's memory (no copy), given back as a response would after its write.
     */
    @Benchmark
    public void readTailShared(Blackhole bh) {
        long end = store.getInfo(segments[0]).join().nextOffset();
        ReadResult r = store.readShared(segments[0], end - 16, 1 << 20).join();
        bh.consume(r.bytes(r.entries().size()));
        r.release();
    }

    /** A consumer catching up: reads 1 MiB from a random older position. */
    @Benchmark
    public void readBehind(Blackhole bh) {
        long offset = ThreadLocalRandom.current().nextLong(READ_ENTRIES / 2);
        ReadResult r = store.read(segments[0], offset, 1 << 20).join();
        bh.consume(r);
    }

    /**
     * {@link #readBehind} as Fetch reads it: one copy out of LMDB into a pooled off-heap buffer,
     * given back as a response would after its write.
     */
    @Benchmark
    public void readBehindShared(Blackhole bh) {
        long offset = ThreadLocalRandom.current().nextLong(READ_ENTRIES / 2);
        ReadResult r = store.readShared(segments[0], offset, 1 << 20).join();
        bh.consume(r.bytes(r.entries().size()));
        r.release();
    }
}
