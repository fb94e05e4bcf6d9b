package dev.weir.storage;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.RatioGauge;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A container's read index (Pravega's): which recent entries of each segment sit in the
 * {@link AppendCache}, so that reads of a segment's tail never open an LMDB transaction. The
 * sequencer adds each committed entry to its segment's last chunk (a cache entry grown in place, up
 * to {@value #CHUNK_BYTES} bytes); a segment's cached chunks always end at its last committed entry.
 * When the cache passes its high mark the least recently used chunks at the heads of the segments go
 * first (generations: one per commit group), until usage is back under the low mark.
 *
 * <p>A compaction rewrite or a deleted segment drops the segment's chunks; a truncation leaves them
 * to eviction, reads below the start offset being refused before the cache is asked.
 */
final class ReadIndex {
    static final int CHUNK_BYTES = 1 << 20;

    /** Cached entries of one chunk, in offset order, with their byte positions in the chunk. */
    private static final class Chunk {
        int address = AppendCache.NO_ADDRESS;
        int length;
        long generation;
        long[] base = new long[16];
        long[] last = new long[16];
        long[] maxTimestamp = new long[16];
        int[] start = new int[16];
        int count;
        /** Shared reads holding views of this chunk's blocks; guarded by the tail. */
        int pins;
        /** Out of the index but still pinned: its blocks are freed by the last release. */
        boolean dropped;

        void add(long b, long l, long ts, int at) {
            if (count == base.length) {
                base = Arrays.copyOf(base, count * 2);
                last = Arrays.copyOf(last, count * 2);
                maxTimestamp = Arrays.copyOf(maxTimestamp, count * 2);
                start = Arrays.copyOf(start, count * 2);
            }
            base[count] = b;
            last[count] = l;
            maxTimestamp[count] = ts;
            start[count] = at;
            count++;
        }

        int end(int i) {
            return i + 1 < count ? start[i + 1] : length;
        }
    }

    /** A segment's cached chunks, oldest first; guarded by itself. */
    private static final class Tail {
        final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    }

    /** Null when the cache is off (cache.max.bytes=0): every read goes to LMDB. */
    private final AppendCache cache;
    private final long highMark;
    private final long lowMark;
    private final Map<String, Tail> tails = new ConcurrentHashMap<>();
    private final Meter hits;
    private final Meter misses;
    private final Counter evictions;
    private volatile long generation;
    private final AtomicInteger leases = new AtomicInteger();

    ReadIndex(int container, long maxBytes, MetricRegistry metrics) {
        this.cache = maxBytes > 0 ? new AppendCache(maxBytes) : null;
        long capacity = cache == null ? 0 : cache.capacityBytes();
        this.highMark = capacity * 9 / 10;
        this.lowMark = capacity * 7 / 10;
        this.hits = metrics.meter("storage.cache.hits");
        this.misses = metrics.meter("storage.cache.misses");
        this.evictions = metrics.counter("storage.cache.evictions");
        metrics.gauge("storage.container." + container + ".cache-used-bytes", () -> this::usedBytes);
        metrics.gauge("storage.container." + container + ".cache-leases", () -> this::outstandingLeases);
        metrics.gauge("storage.cache.hit-ratio", () -> new RatioGauge() {
            @Override
            protected Ratio getRatio() {
                return Ratio.of(hits.getCount(), hits.getCount() + misses.getCount());
            }
        });
    }

    /** A commit group begins: chunks touched from now on are younger than those touched before. */
    void nextGeneration() {
        generation++;
    }

    /** Sequencer only: a committed entry of {@code segment}, right after the segment's last one. */
    void appended(String segment, long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data) {
        if (cache == null) {
            return;
        }
        int length = data.remaining();
        if (length > CHUNK_BYTES || length > cache.capacityBytes() / 4) {
            invalidate(segment); // too big to be worth caching: the tail is no longer contiguous
            return;
        }
        if (cache.usedBytes() + length > highMark) {
            evict();
        }
        Tail tail = tails.computeIfAbsent(segment, s -> new Tail());
        synchronized (tail) {
            Chunk chunk = tail.chunks.peekLast();
            if (chunk != null && chunk.last[chunk.count - 1] + 1 != baseOffset) {
                drop(tail); // not contiguous (cannot happen with a single sequencer, but never serve a gap)
                chunk = null;
            }
            if (chunk == null || chunk.length + length > CHUNK_BYTES) {
                chunk = new Chunk();
                tail.chunks.addLast(chunk);
            }
            int address = cache.append(chunk.address, data);
            if (address == AppendCache.NO_ADDRESS) {
                drop(tail);
                return;
            }
            chunk.address = address;
            chunk.add(baseOffset, lastOffset, maxTimestamp, chunk.length);
            chunk.length += length;
            chunk.generation = generation;
        }
    }

    /** Sequencer only: the segment's entries changed in place or the segment is gone. */
    void invalidate(String segment) {
        Tail tail = tails.remove(segment);
        if (tail != null) {
            synchronized (tail) {
                drop(tail);
            }
        }
    }

    /**
     * Entries from the one holding {@code offset}, up to {@code maxBytes} (at least one) and below
     * {@code endOffset}; null if the cache does not hold that entry. An ordinary read copies the bytes
     * out of the cache; a shared one hands out views of the cache's memory and pins their chunks
     * until the result is released.
     */
    ReadResult read(String segment, long offset, int maxBytes, long endOffset, SegmentInfo info, boolean shared) {
        if (cache == null) {
            return null;
        }
        Tail tail = tails.get(segment);
        if (tail == null) {
            misses.mark();
            return null;
        }
        synchronized (tail) {
            Chunk first = tail.chunks.peekFirst();
            if (first == null || first.base[0] > offset) {
                misses.mark();
                return null;
            }
            List<Chunk> from = new ArrayList<>(2);
            List<int[]> ranges = new ArrayList<>(2); // chunk, first entry index, entries
            long total = 0;
            boolean started = false;
            outer:
            for (Chunk c : tail.chunks) {
                if (!started && c.last[c.count - 1] < offset) {
                    continue;
                }
                int i = started ? 0 : firstEnding(c, offset);
                int n = 0;
                for (; i + n < c.count; n++) {
                    int k = i + n;
                    int size = c.end(k) - c.start[k];
                    if (c.last[k] >= endOffset || (total > 0 && total + size > maxBytes)) {
                        break;
                    }
                    total += size;
                    if (total >= maxBytes) {
                        n++;
                        break;
                    }
                }
                if (n > 0) {
                    from.add(c);
                    ranges.add(new int[] {i, n});
                    c.generation = generation;
                }
                started = true;
                if (i + n < c.count || total >= maxBytes) {
                    break outer;
                }
            }
            if (total == 0) {
                misses.mark();
                return null;
            }
            byte[] all = shared ? null : new byte[(int) total];
            List<ByteBuffer> views = shared ? new ArrayList<>(4) : null;
            List<StoredEntry> entries = new ArrayList<>();
            int at = 0;
            for (int r = 0; r < from.size(); r++) {
                Chunk c = from.get(r);
                int i = ranges.get(r)[0];
                int n = ranges.get(r)[1];
                int bytes = c.end(i + n - 1) - c.start[i];
                if (shared) {
                    cache.views(c.address, c.start[i], bytes, views);
                    c.pins++;
                } else {
                    cache.read(c.address, c.start[i], bytes, all, at);
                }
                for (int k = i; k < i + n; k++) {
                    int size = c.end(k) - c.start[k];
                    entries.add(shared ? new StoredEntry(c.base[k], c.last[k], c.maxTimestamp[k], null, size)
                            : new StoredEntry(c.base[k], c.last[k], c.maxTimestamp[k], ByteBuffer.wrap(all, at, size).slice()));
                    at += size;
                }
            }
            hits.mark();
            if (!shared) {
                return new ReadResult(entries, info);
            }
            leases.incrementAndGet();
            return new ReadResult(entries, info, new Pinned(tail, from, views));
        }
    }

    /** A shared read's hold on the chunks its views point into. */
    private final class Pinned implements ReadResult.Lease {
        private final Tail tail;
        private final List<Chunk> chunks;
        private final List<ByteBuffer> views;
        private boolean released;

        Pinned(Tail tail, List<Chunk> chunks, List<ByteBuffer> views) {
            this.tail = tail;
            this.chunks = chunks;
            this.views = views;
        }

        @Override
        public ByteBuffer[] slices(int length) {
            List<ByteBuffer> out = new ArrayList<>(views.size());
            for (ByteBuffer v : views) {
                if (length <= 0) {
                    break;
                }
                int n = Math.min(length, v.remaining());
                out.add(v.slice(v.position(), n));
                length -= n;
            }
            return out.toArray(ByteBuffer[]::new);
        }

        @Override
        public void release() {
            synchronized (tail) {
                if (released) {
                    return;
                }
                released = true;
                leases.decrementAndGet();
                for (Chunk c : chunks) {
                    c.pins--;
                    if (c.pins == 0 && c.dropped) {
                        cache.delete(c.address);
                    }
                }
            }
        }
    }

    /** Shared reads not yet released. */
    int outstandingLeases() {
        return leases.get();
    }

    long usedBytes() {
        return cache == null ? 0 : cache.usedBytes();
    }

    private static int firstEnding(Chunk c, long offset) {
        int lo = 0;
        int hi = c.count - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (c.last[mid] < offset) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Frees the least recently used head chunks until usage is under the low mark. */
    private void evict() {
        record Head(Tail tail, long generation) {
        }
        PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> Long.compare(a.generation(), b.generation()));
        for (Tail t : tails.values()) {
            synchronized (t) {
                Chunk c = t.chunks.peekFirst();
                if (c != null) {
                    heads.add(new Head(t, c.generation));
                }
            }
        }
        while (cache.usedBytes() > lowMark && !heads.isEmpty()) {
            Tail t = heads.poll().tail();
            synchronized (t) {
                Chunk c = t.chunks.pollFirst();
                if (c == null) {
                    continue;
                }
                free(c);
                evictions.inc();
                Chunk next = t.chunks.peekFirst();
                if (next != null) {
                    heads.add(new Head(t, next.generation));
                }
            }
        }
    }

    private void drop(Tail tail) {
        for (Chunk c : tail.chunks) {
            free(c);
        }
        tail.chunks.clear();
    }

    /** Frees a chunk leaving the index now, or marks it for its last shared reader to free; tail locked. */
    private void free(Chunk c) {
        if (c.address == AppendCache.NO_ADDRESS) {
            return;
        }
        if (c.pins > 0) {
            c.dropped = true;
        } else {
            cache.delete(c.address);
        }
    }
}
