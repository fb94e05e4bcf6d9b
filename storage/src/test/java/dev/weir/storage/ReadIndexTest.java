package dev.weir.storage;

import static dev.weir.storage.StoreFixture.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads served by the append cache agree with LMDB, through eviction, compaction and restart. */
class ReadIndexTest {
    @TempDir
    Path dir;

    private static Entry entry(byte[] payload, int records) {
        ByteBuffer data = ByteBuffer.allocate(8 + payload.length);
        data.putLong(-1L).put(payload).flip();
        return new Entry(data, records, 7, (buf, base) -> buf.putLong(buf.position(), base));
    }

    /** Every entry from {@code offset}, read in steps of at most {@code maxBytes}, as (base, last, bytes). */
    private static List<String> readAll(SegmentStore store, String segment, long offset, int maxBytes) {
        List<String> out = new ArrayList<>();
        long end = get(store.getInfo(segment)).nextOffset();
        while (offset < end) {
            ReadResult r = get(store.read(segment, offset, maxBytes));
            assertTrue(!r.entries().isEmpty(), "a read below the end returns an entry");
            for (StoredEntry e : r.entries()) {
                byte[] b = new byte[e.data().remaining()];
                e.data().duplicate().get(b);
                assertEquals(e.baseOffset(), ByteBuffer.wrap(b).getLong(), "the stored entry carries its offset");
                out.add(e.baseOffset() + "-" + e.lastOffset() + ":" + java.util.Arrays.hashCode(b));
                offset = e.lastOffset() + 1;
            }
        }
        return out;
    }

    @Test
    void cachedReadsAgreeWithLmdbThroughEvictionCompactionAndRestart() {
        MetricRegistry metrics = new MetricRegistry();
        Random random = new Random(42);
        List<String> segments = List.of("a/0", "b/0", "c/0");
        java.util.Map<String, List<String>> cachedRead = new java.util.HashMap<>();
        // One 2 MiB buffer for the one container: 6 MiB of appends must evict.
        try (LmdbSegmentStore store = LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 20, metrics,
                AppendCache.BUFFER_BYTES))) {
            for (String s : segments) {
                get(store.createSegment(s));
            }
            for (int i = 0; i < 600; i++) {
                byte[] payload = new byte[1000 + random.nextInt(9000)];
                random.nextBytes(payload);
                get(store.append(segments.get(i % 3), Append.of(entry(payload, 1 + random.nextInt(5)))));
            }
            long hitsBefore = metrics.meter("storage.cache.hits").getCount();
            long end = get(store.getInfo("a/0")).nextOffset();
            ReadResult tail = get(store.read("a/0", end - 1, 1 << 20));
            assertTrue(tail.entries().get(0).lastOffset() >= end - 1, "the read starts at the entry holding the offset");
            assertEquals(hitsBefore + 1, metrics.meter("storage.cache.hits").getCount(), "the tail came from the cache");
            assertTrue(metrics.counter("storage.cache.evictions").getCount() > 0, "6 MiB in a 2 MiB cache evicted");
            readAll(store, "a/0", 0, 64 << 10);
            assertTrue(metrics.meter("storage.cache.misses").getCount() > 0, "the evicted head came from LMDB");
            for (String s : segments) {
                assertEquals(readAll(store, s, 0, 1 << 20), readAll(store, s, 0, 1), "read sizes do not change what is read");
            }

            // Compaction rewrites an entry in place: the cache must not serve the old bytes.
            StoredEntry last = tail.entries().get(tail.entries().size() - 1);
            ByteBuffer replacement = ByteBuffer.allocate(16).putLong(last.baseOffset()).putLong(99).flip();
            get(store.rewriteEntries("a/0", List.of(new EntryRewrite(last.baseOffset(), last.lastOffset(), replacement))));
            StoredEntry reread = get(store.read("a/0", last.baseOffset(), 1 << 20)).entries().get(0);
            byte[] got = new byte[reread.data().remaining()];
            reread.data().duplicate().get(got);
            assertArrayEquals(replacement.array(), got, "the rewritten entry is read as rewritten");
            for (String s : segments) {
                cachedRead.put(s, readAll(store, s, 0, 64 << 10));
            }
        }
        try (LmdbSegmentStore store = LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 20,
                new MetricRegistry(), AppendCache.BUFFER_BYTES))) {
            for (String s : segments) {
                assertEquals(cachedRead.get(s), readAll(store, s, 0, 64 << 10), "after a restart, LMDB alone reads the same");
            }
        }
    }

    private static byte[] concat(ByteBuffer[] parts) {
        int n = 0;
        for (ByteBuffer p : parts) {
            n += p.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(n);
        for (ByteBuffer p : parts) {
            all.put(p.duplicate());
        }
        return all.array();
    }

    @Test
    void sharedReadsAreViewsThatOutliveEvictionUntilReleased() {
        MetricRegistry metrics = new MetricRegistry();
        Random random = new Random(7);
        try (LmdbSegmentStore store = LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 20, metrics,
                AppendCache.BUFFER_BYTES))) {
            get(store.createSegment("a/0"));
            get(store.createSegment("b/0"));
            for (int i = 0; i < 20; i++) {
                byte[] payload = new byte[3000 + random.nextInt(6000)];
                random.nextBytes(payload);
                get(store.append("a/0", Append.of(entry(payload, 2))));
            }
            ReadResult copied = get(store.read("a/0", 0, 1 << 20));
            ReadResult shared = get(store.readShared("a/0", 0, 1 << 20));
            assertEquals(copied.entries().size(), shared.entries().size());
            assertTrue(shared.lease() != null, "the tail came from the cache as views");
            ByteBuffer[] views = shared.bytes(shared.entries().size());
            for (ByteBuffer v : views) {
                assertTrue(v.isDirect(), "views point into the cache's off-heap memory");
            }
            assertTrue(views.length < shared.entries().size(), "adjacent blocks are joined into one view");
            byte[] expected = concat(copied.bytes(copied.entries().size()));
            assertArrayEquals(expected, concat(views), "views hold the stored bytes");
            int firstTwo = shared.entries().get(0).size() + shared.entries().get(1).size();
            assertArrayEquals(java.util.Arrays.copyOf(expected, firstTwo), concat(shared.bytes(2)), "a prefix of the entries");

            @SuppressWarnings("unchecked")
            com.codahale.metrics.Gauge<Long> used = metrics.getGauges().get("storage.container.0.cache-used-bytes");
            assertEquals(1, metrics.getGauges().get("storage.container.0.cache-leases").getValue());
            // 6 MiB into another segment evicts a/0's chunk, which the shared read still pins: its
            // blocks must not be handed out again while the views are held.
            for (int i = 0; i < 600; i++) {
                byte[] payload = new byte[10_000];
                random.nextBytes(payload);
                get(store.append("b/0", Append.of(entry(payload, 1))));
            }
            assertTrue(metrics.counter("storage.cache.evictions").getCount() > 0);
            assertArrayEquals(expected, concat(views), "pinned views survive eviction unchanged");
            long before = used.getValue();
            shared.release();
            shared.release(); // idempotent
            assertEquals(0, metrics.getGauges().get("storage.container.0.cache-leases").getValue());
            assertTrue(used.getValue() < before, "the evicted chunk's blocks are freed by the release");
        }
    }

    @Test
    void sharedReadsThatMissTheCacheAreOneOffHeapCopyGivenBackOnRelease() {
        MetricRegistry metrics = new MetricRegistry();
        Random random = new Random(11);
        // No cache at all: every read comes from LMDB.
        try (LmdbSegmentStore store = LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 20, metrics, 0))) {
            get(store.createSegment("a/0"));
            for (int i = 0; i < 30; i++) {
                byte[] payload = new byte[5000 + random.nextInt(5000)];
                random.nextBytes(payload);
                get(store.append("a/0", Append.of(entry(payload, 3))));
            }
            ReadResult copied = get(store.read("a/0", 0, 1 << 20));
            ReadResult shared = get(store.readShared("a/0", 0, 1 << 20));
            assertEquals(copied.entries().size(), shared.entries().size());
            assertTrue(shared.lease() != null, "a large read from LMDB is lent off-heap");
            ByteBuffer[] bytes = shared.bytes(shared.entries().size());
            assertEquals(1, bytes.length, "the entries lie back to back in one buffer");
            assertTrue(bytes[0].isDirect());
            byte[] expected = concat(copied.bytes(copied.entries().size()));
            assertArrayEquals(expected, concat(bytes), "the copy holds the stored bytes");
            for (int i = 0; i < shared.entries().size(); i++) {
                StoredEntry e = shared.entries().get(i);
                assertEquals(copied.entries().get(i).data(), e.data(), "entry " + i + " has its own bytes as a slice");
                assertEquals(copied.entries().get(i).baseOffset(), e.baseOffset());
            }
            int firstTwo = shared.entries().get(0).size() + shared.entries().get(1).size();
            assertArrayEquals(java.util.Arrays.copyOf(expected, firstTwo), concat(shared.bytes(2)), "a prefix of the entries");
            assertEquals(1, metrics.getGauges().get("storage.container.0.read-buffer-leases").getValue());

            ReadResult small = get(store.readShared("a/0", 0, 1));
            assertEquals(null, small.lease(), "a read of one small entry is a plain heap copy");
            assertTrue(small.entries().get(0).data().hasArray());

            shared.release();
            shared.release(); // idempotent
            assertEquals(0, metrics.getGauges().get("storage.container.0.read-buffer-leases").getValue());
            assertTrue((Long) metrics.getGauges().get("storage.container.0.read-buffers-retained-bytes").getValue() > 0,
                    "the buffer is kept for the next read");
            ReadResult again = get(store.readShared("a/0", 0, 1 << 20));
            assertArrayEquals(expected, concat(again.bytes(again.entries().size())), "a reused buffer holds the new read");
            again.release();
        }
    }
}
