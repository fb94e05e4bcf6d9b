package dev.weir.jmh;

import dev.weir.storage.AppendCache;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Growing a segment's cached tail by one batch at a time, up to 1 MiB, then starting over: the
 * append cache (in place, into the last block) against two naive designs, an entry per batch
 * (allocated and copied) and a blob re-written with every batch (Pravega's cache before 0.7).
 * {@code java -jar jmh/target/benchmarks.jar CacheBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class CacheBenchmark {
    private static final int TAIL_BYTES = 1 << 20;

    @Param({"1024", "16384"})
    public int batchBytes;

    private ByteBuffer batch;
    private AppendCache cache;
    private int address = AppendCache.NO_ADDRESS;
    private int cached;
    private final List<ByteBuffer> perBatch = new ArrayList<>();
    private ByteBuffer blob = ByteBuffer.allocateDirect(0);

    @Setup
    public void setUp() {
        byte[] bytes = new byte[batchBytes];
        ThreadLocalRandom.current().nextBytes(bytes);
        batch = ByteBuffer.wrap(bytes);
        cache = new AppendCache(4L * AppendCache.BUFFER_BYTES);
    }

    @Benchmark
    public int appendCache() {
        if (cached + batchBytes > TAIL_BYTES) {
            cache.delete(address);
            address = AppendCache.NO_ADDRESS;
            cached = 0;
        }
        address = cache.append(address, batch);
        cached += batchBytes;
        return address;
    }

    @Benchmark
    public int entryPerBatch() {
        if (perBatch.size() * batchBytes + batchBytes > TAIL_BYTES) {
            perBatch.clear();
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(batchBytes);
        copy.put(0, batch, 0, batchBytes);
        perBatch.add(copy);
        return perBatch.size();
    }

    @Benchmark
    public int blobRewrite() {
        int old = blob.capacity();
        if (old + batchBytes > TAIL_BYTES) {
            old = 0;
        }
        ByteBuffer next = ByteBuffer.allocateDirect(old + batchBytes);
        next.put(0, blob, 0, old);
        next.put(old, batch, 0, batchBytes);
        blob = next;
        return blob.capacity();
    }
}
