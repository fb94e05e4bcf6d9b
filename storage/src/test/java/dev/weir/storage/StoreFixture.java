package dev.weir.storage;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import com.codahale.metrics.MetricRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Shared helpers: entries that carry their stamped offset in their first 8 bytes, like a Kafka batch. */
final class StoreFixture {
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    private StoreFixture() {
    }

    static StoreOptions options(Path dir) {
        return new StoreOptions(dir, 2, false, GIB, MIB, new MetricRegistry());
    }

    static StoreOptions options(Path dir, int containers, boolean sync, long maxBytes, long initialMapBytes,
                                MetricRegistry metrics) {
        return new StoreOptions(dir, containers, sync, maxBytes, initialMapBytes, metrics);
    }

    /** An entry of {@code records} records: 8 bytes for the base offset, then the payload text. */
    static Entry entry(String payload, int records, long maxTimestamp) {
        byte[] text = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(8 + text.length);
        data.putLong(-1L).put(text).flip();
        return new Entry(data, records, maxTimestamp, (buf, base) -> buf.putLong(buf.position(), base));
    }

    static Entry entry(String payload) {
        return entry(payload, 1, -1);
    }

    static Entry sized(int bytes, int records) {
        ByteBuffer data = ByteBuffer.allocate(bytes);
        for (int i = 0; i < bytes; i++) {
            data.put(i, (byte) i);
        }
        return new Entry(data, records, -1, Entry.OffsetStamp.NONE);
    }

    static long stampedOffset(StoredEntry e) {
        return e.data().getLong(e.data().position());
    }

    static String payload(StoredEntry e) {
        ByteBuffer d = e.data().duplicate();
        d.position(d.position() + 8);
        return StandardCharsets.UTF_8.decode(d).toString();
    }

    static <T> T get(CompletableFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("future failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
    }

    /** The failure of {@code f}, which must be of {@code type}. */
    static <X extends Throwable> X failure(CompletableFuture<?> f, Class<X> type) {
        try {
            Object value = f.get(30, TimeUnit.SECONDS);
            return fail("expected " + type.getSimpleName() + " but completed with " + value);
        } catch (ExecutionException e) {
            return assertInstanceOf(type, e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
    }

    /** Names of {@code count} distinct segments that all live in container {@code index}. */
    static String[] segmentsInContainer(LmdbSegmentStore store, int index, int count) {
        String[] names = new String[count];
        int found = 0;
        for (int i = 0; found < count; i++) {
            String name = "topic-" + i + "/0";
            if (store.containerIndex(name) == index) {
                names[found++] = name;
            }
        }
        return names;
    }
}
