package dev.weir.storage;

import static dev.weir.storage.ContainerLayout.ENTRY_HEADER_BYTES;
import static dev.weir.storage.ContainerLayout.pairKey;
import static dev.weir.storage.ContainerLayout.secondOf;
import static dev.weir.storage.ContainerLayout.segmentIdOf;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A segment container: one LMDB environment and one sequencer thread. The sequencer takes
 * everything queued, applies it in one write transaction (group commit), commits, publishes the
 * new segment metadata and only then hands the outcomes to the completer thread, which completes
 * the futures and wakes parked reads. Reads run on the caller's thread in read-only snapshots.
 */
final class SegmentContainer {
    private static final Logger log = LoggerFactory.getLogger(SegmentContainer.class);
    private static final int MAX_GROUP_OPERATIONS = 4096;
    private static final long MAX_GROUP_BYTES = 32L << 20;
    /** Off-heap read buffers a container keeps for reuse once their readers let them go. */
    private static final long READ_BUFFERS_RETAINED = 16L << 20;
    private static final ByteBuffer FORMAT_KEY = ContainerLayout.asciiKey(ContainerLayout.FORMAT_KEY);
    private static final ByteBuffer NEXT_SEGMENT_ID_KEY = ContainerLayout.asciiKey(ContainerLayout.NEXT_SEGMENT_ID_KEY);
    private static final ByteBuffer TICK_KEY = ContainerLayout.asciiKey(ContainerLayout.TICK_KEY);
    private static final Operation<Void> STOP = new Operation<>(null) {
        @Override
        Void apply(GroupTxn group) {
            return null;
        }
    };

    final int index;
    private final ContainerEnv env;
    /** The map never grows past this for appends. */
    private final long mapCapBytes;
    /** Extra room above the cap that only space-freeing operations may claim, so a full map can be emptied. */
    private final long reserveBytes;
    private final ConcurrentHashMap<String, SegmentMetadata> published = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Operation<?>> queue = new LinkedBlockingQueue<>();
    private final SegmentWaiters waiters;
    private final Histogram batchSize;
    private final Timer commitLatency;
    private final Timer flushLatency;
    private final Thread sequencer;
    private final ExecutorService completer;
    private volatile boolean accepting = true;
    /** Halted as by kill -9: committed groups not yet acknowledged stay unacknowledged. */
    private volatile boolean halted;

    // sequencer-thread state
    private final GroupTxn group;
    private final boolean sync;
    /** Groups committed so far (sequencer), and how many of them are known durable (completer). */
    private volatile long committedGroups;
    private long durableGroups;
    private final ReadIndex readIndex;
    private final ReadBuffers readBuffers;
    private final ByteBuffer scratchValue = ByteBuffer.allocateDirect(8);
    private final List<String> touched = new ArrayList<>();
    private final Set<String> touchedDeleted = new HashSet<>();
    private long nextSegmentId;
    private long ticks;
    private boolean freedSinceTick;

    private SegmentContainer(int index, ContainerEnv env, boolean sync, long mapCapBytes, long cacheBytes,
                             MetricRegistry metrics, ScheduledExecutorService timer) {
        this.index = index;
        this.sync = sync;
        this.env = env;
        this.mapCapBytes = mapCapBytes;
        this.reserveBytes = Math.min(64L << 20, Math.max(256L << 10, mapCapBytes / 32));
        this.waiters = new SegmentWaiters(timer);
        this.batchSize = metrics.histogram("storage.container." + index + ".commit-batch-size");
        this.commitLatency = metrics.timer("storage.container." + index + ".commit-latency");
        this.flushLatency = metrics.timer("storage.container." + index + ".flush-latency");
        this.readIndex = new ReadIndex(index, cacheBytes, metrics);
        this.readBuffers = new ReadBuffers(READ_BUFFERS_RETAINED);
        metrics.gauge("storage.container." + index + ".read-buffer-leases", () -> readBuffers::outstanding);
        metrics.gauge("storage.container." + index + ".read-buffers-retained-bytes", () -> readBuffers::retainedBytes);
        this.group = new GroupTxn(env, published);
        this.completer = Executors.newSingleThreadExecutor(r -> LmdbSegmentStore.storeThread(r, "weir-completer-" + index));
        this.sequencer = LmdbSegmentStore.storeThread(this::sequence, "weir-sequencer-" + index);
    }

    static SegmentContainer open(int index, Path dir, boolean sync, long initialMapBytes, long mapCapBytes,
                                 long cacheBytes, MetricRegistry metrics, ScheduledExecutorService timer)
            throws IOException {
        ContainerEnv env = ContainerEnv.open(dir, initialMapBytes, sync);
        try {
            SegmentContainer c = new SegmentContainer(index, env, sync, mapCapBytes, cacheBytes, metrics, timer);
            c.load();
            c.sequencer.start();
            return c;
        } catch (RuntimeException e) {
            env.close();
            throw e;
        }
    }

    /** Reads the container's state straight from LMDB: no log to replay. */
    private void load() {
        Txn<ByteBuffer> txn = env.beginWrite();
        try {
            ByteBuffer format = env.meta.get(txn, FORMAT_KEY);
            if (format == null) {
                env.meta.put(txn, FORMAT_KEY, ContainerLayout.longValue(scratchValue, ContainerLayout.FORMAT_VERSION));
            } else if (format.getLong(format.position()) != ContainerLayout.FORMAT_VERSION) {
                throw new StorageException("container " + index + " has unknown format " + format.getLong(format.position()));
            }
            ByteBuffer id = env.meta.get(txn, NEXT_SEGMENT_ID_KEY);
            nextSegmentId = id == null ? 1 : id.getLong(id.position());
            ByteBuffer tick = env.meta.get(txn, TICK_KEY);
            ticks = tick == null ? 0 : tick.getLong(tick.position());
            try (Cursor<ByteBuffer> c = env.segments.openCursor(txn)) {
                for (boolean found = c.first(); found; found = c.next()) {
                    published.put(ContainerLayout.nameOf(c.key()), SegmentMetadata.readFrom(c.val()));
                }
            }
            txn.commit();
        } finally {
            txn.close();
        }
    }

    // ---------------------------------------------------------------- writes

    <R> CompletableFuture<R> submit(Operation<R> op) {
        if (!accepting) {
            return CompletableFuture.failedFuture(closed());
        }
        queue.add(op);
        // close() may have drained the queue between the check and the add
        if (!accepting && queue.remove(op)) {
            op.future.completeExceptionally(closed());
        }
        return op.future;
    }

    /** For tests: parks the sequencer inside a group until {@code resume} opens. */
    CompletableFuture<Void> pauseSequencer(CountDownLatch paused, CountDownLatch resume) {
        return submit(new Operation<Void>(null) {
            @Override
            Void apply(GroupTxn g) {
                paused.countDown();
                try {
                    resume.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }
        });
    }

    private void sequence() {
        List<Operation<?>> ops = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            Operation<?> op;
            try {
                op = queue.take();
            } catch (InterruptedException e) {
                continue;
            }
            long bytes = 0;
            while (op != null) {
                if (op == STOP) {
                    stopping = true;
                    break;
                }
                ops.add(op);
                bytes += op.sizeBytes();
                op = ops.size() < MAX_GROUP_OPERATIONS && bytes < MAX_GROUP_BYTES ? queue.poll() : null;
            }
            if (!ops.isEmpty()) {
                runGroup(ops);
                ops = new ArrayList<>();
            }
        }
        for (Operation<?> op; (op = queue.poll()) != null; ) {
            if (op != STOP) {
                op.future.completeExceptionally(closed());
            }
        }
    }

    private void runGroup(List<Operation<?>> ops) {
        long started = System.nanoTime();
        readIndex.nextGeneration();
        try {
            if (!commit(ops) && ops.size() > 1) {
                // something unexpected failed the group: give each operation its own transaction
                // so that one bad operation cannot fail the others
                for (Operation<?> op : ops) {
                    commit(List.of(op));
                }
            }
        } catch (Throwable t) {
            log.error("container {}: sequencer failed on a group of {} operations", index, ops.size(), t);
            StorageException failure = new StorageException("container " + index + " failed", t);
            ops.forEach(op -> op.failUnlessRejected(failure));
        }
        commitLatency.update(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        batchSize.update(ops.size());
        long groupNumber = ++committedGroups;
        List<String> changed = touched.isEmpty() ? List.of() : new ArrayList<>(touched);
        Set<String> deleted = touchedDeleted.isEmpty() ? Set.of() : new HashSet<>(touchedDeleted);
        touched.clear();
        touchedDeleted.clear();
        Runnable completion = () -> {
            if (halted) {
                ops.forEach(op -> op.future.completeExceptionally(closed()));
                return;
            }
            boolean durable = true;
            if (sync && durableGroups < groupNumber) {
                // One flush covers every group committed before it starts, so the sequencer's next
                // commit overlaps this flush instead of waiting for it.
                long target = committedGroups;
                try (Timer.Context t = flushLatency.time()) {
                    env.syncMeta();
                    durableGroups = target;
                } catch (RuntimeException e) {
                    log.error("container {}: flushing committed groups to disk failed", index, e);
                    StorageException failure = new StorageException("container " + index + " could not flush to disk", e);
                    ops.forEach(op -> op.future.completeExceptionally(failure));
                    durable = false;
                }
            }
            if (durable) {
                for (Operation<?> op : ops) {
                    op.complete();
                }
            }
            if (!changed.isEmpty()) {
                waiters.segmentsChanged(changed, deleted, published::get);
            }
        };
        try {
            completer.execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run();
        }
    }

    /**
     * Commits {@code ops} in one transaction, growing the map when it fills up. At the size cap it
     * first commits a tiny transaction so pages freed by the last commits become reusable (LMDB
     * recycles a page only once no snapshot can see it), then fails the appends and commits the
     * rest, then lets space-freeing operations use the reserve.
     *
     * @return false if the transaction failed for a reason other than space
     */
    private boolean commit(List<Operation<?>> ops) {
        boolean rejectAppends = false;
        boolean ticked = false;
        boolean reserveUsed = false;
        boolean tickNext = false;
        long resizeTo = 0;
        try {
            while (true) {
                try {
                    if (resizeTo > 0) {
                        log.info("container {}: growing map from {} to {} bytes", index, env.mapSize(), resizeTo);
                        env.resize(resizeTo);
                        resizeTo = 0;
                    }
                    if (tickNext) {
                        tickNext = false;
                        tick();
                    }
                    applyAndCommit(ops, rejectAppends);
                    return true;
                } catch (RuntimeException e) {
                    if (!ContainerEnv.isMapFull(e)) {
                        log.error("container {}: commit of {} operations failed", index, ops.size(), e);
                        StorageException failure = new StorageException("container " + index + " could not commit", e);
                        ops.forEach(op -> op.failUnlessRejected(failure));
                        return false;
                    }
                    long size = env.mapSize();
                    if (size < mapCapBytes) {
                        resizeTo = Math.min(mapCapBytes, size * 2);
                    } else if (!ticked && freedSinceTick) {
                        log.debug("container {}: map full; committing a tick to recycle freed pages", index);
                        ticked = true;
                        tickNext = true;
                    } else if (!rejectAppends && ops.stream().anyMatch(Operation::isAppend)) {
                        log.debug("container {}: map full; rejecting the appends of a group of {}", index, ops.size());
                        rejectAppends = true;
                    } else if (!reserveUsed) {
                        log.debug("container {}: map full; letting {} operations use the reserve", index, ops.size());
                        reserveUsed = true;
                        resizeTo = Math.max(size, mapCapBytes) + reserveBytes;
                    } else {
                        StorageFullException full = new StorageFullException(
                                "container " + index + " is full (" + size + " bytes)");
                        ops.forEach(op -> op.failUnlessRejected(full));
                        return true;
                    }
                }
            }
        } finally {
            if (reserveUsed && env.mapSize() > mapCapBytes) {
                // hand the reserve back; LMDB keeps whatever is already in use
                try {
                    env.resize(mapCapBytes);
                } catch (RuntimeException e) {
                    log.warn("container {}: could not shrink the map back to {} bytes", index, mapCapBytes, e);
                }
            }
        }
    }

    private void applyAndCommit(List<Operation<?>> ops, boolean rejectAppends) {
        for (Operation<?> op : ops) {
            op.reset();
        }
        Txn<ByteBuffer> txn = env.beginWrite();
        try {
            group.begin(txn, nextSegmentId, rejectAppends, mapCapBytes);
            for (Operation<?> op : ops) {
                op.run(group);
            }
            group.flushMetadata();
            txn.commit();
            group.applyToCache(readIndex); // committed: the tail cache follows, before anyone is told
        } finally {
            group.end();
            txn.close();
        }
        for (Operation<?> op : ops) {
            op.markCommitted();
        }
        publish();
    }

    /** Makes the committed group visible; never called for a transaction that did not commit. */
    private void publish() {
        nextSegmentId = group.nextSegmentId();
        if (group.freedSpace()) {
            freedSinceTick = true;
        }
        for (Map.Entry<String, SegmentMetadata> e : group.changed().entrySet()) {
            if (e.getValue() == null) {
                published.remove(e.getKey());
            } else {
                published.put(e.getKey(), e.getValue());
            }
            touched.add(e.getKey());
        }
        touchedDeleted.addAll(group.deleted());
    }

    /** An otherwise empty commit: lets LMDB reuse pages that the previous commit freed. */
    private void tick() {
        Txn<ByteBuffer> txn = env.beginWrite();
        try {
            env.meta.put(txn, TICK_KEY, ContainerLayout.longValue(scratchValue, ticks + 1));
            txn.commit();
        } finally {
            txn.close();
        }
        ticks++;
        freedSinceTick = false;
    }

    // ---------------------------------------------------------------- reads

    boolean exists(String segment) {
        return published.containsKey(segment);
    }

    SegmentInfo info(String segment) {
        SegmentMetadata m = published.get(segment);
        if (m == null) {
            throw notFound(segment);
        }
        return m.toInfo(segment);
    }

    ReadResult read(String segment, long offset, int maxBytes) {
        return read(segment, offset, maxBytes, false);
    }

    /** A read; a shared one may hand out views of the cache (see {@link SegmentStore#readShared}). */
    ReadResult read(String segment, long offset, int maxBytes, boolean shared) {
        SegmentMetadata known = published.get(segment);
        if (known == null) {
            throw notFound(segment);
        }
        if (offset >= known.startOffset() && offset < known.nextOffset()) {
            ReadResult cached = readIndex.read(segment, offset, maxBytes, known.nextOffset(), known.toInfo(segment),
                    shared);
            if (cached != null) {
                return cached;
            }
        }
        return env.read(txn -> {
            ContainerLayout.Scratch scratch = ContainerLayout.readerScratch();
            SegmentMetadata m = lookup(txn, scratch, segment);
            SegmentInfo info = m.toInfo(segment);
            if (offset < m.startOffset() || offset >= m.nextOffset()) {
                return new ReadResult(List.of(), info);
            }
            // First find the entries (values stay valid while the txn is open), then copy them all
            // into one array: a fetch can send a single slice instead of gluing entries together.
            List<ByteBuffer> values = new ArrayList<>(4);
            List<long[]> offsets = new ArrayList<>(4);
            long total = 0;
            try (Cursor<ByteBuffer> c = env.entries.openCursor(txn)) {
                boolean found = c.get(pairKey(scratch.pair, m.id(), offset), GetOp.MDB_SET_RANGE);
                while (found && segmentIdOf(c.key()) == m.id()) {
                    ByteBuffer v = c.val();
                    int length = v.remaining() - ENTRY_HEADER_BYTES;
                    if (!values.isEmpty() && total + length > maxBytes) {
                        break;
                    }
                    values.add(v.duplicate());
                    offsets.add(new long[] {v.getLong(v.position()), secondOf(c.key()), v.getLong(v.position() + 8)});
                    total += length;
                    if (total >= maxBytes) {
                        break;
                    }
                    found = c.next();
                }
            }
            // A shared read of some size goes off-heap, where its reader sends it from without
            // another copy; other reads (and any when direct memory runs out) get a heap array.
            ReadBuffers.Loan loan = shared && ReadBuffers.fits(total) ? readBuffers.borrow((int) total) : null;
            ByteBuffer all = loan != null ? loan.buffer() : ByteBuffer.allocate((int) total);
            List<StoredEntry> entries = new ArrayList<>(values.size());
            int at = 0;
            for (int i = 0; i < values.size(); i++) {
                ByteBuffer v = values.get(i);
                int length = v.remaining() - ENTRY_HEADER_BYTES;
                all.put(at, v, v.position() + ENTRY_HEADER_BYTES, length);
                long[] o = offsets.get(i);
                entries.add(new StoredEntry(o[0], o[1], o[2], all.slice(at, length)));
                at += length;
            }
            return new ReadResult(entries, info, loan);
        });
    }

    long findOffsetByTimestamp(String segment, long timestamp) {
        if (!published.containsKey(segment)) {
            throw notFound(segment);
        }
        return env.read(txn -> {
            ContainerLayout.Scratch scratch = ContainerLayout.readerScratch();
            SegmentMetadata m = lookup(txn, scratch, segment);
            if (m.startOffset() >= m.nextOffset() || timestamp > m.maxTimestamp()) {
                return -1L;
            }
            try (Cursor<ByteBuffer> c = env.timeIndex.openCursor(txn)) {
                long key = ContainerLayout.sortableTimestamp(timestamp);
                if (!c.get(pairKey(scratch.pair, m.id(), key), GetOp.MDB_SET_RANGE) || segmentIdOf(c.key()) != m.id()) {
                    return -1L;
                }
                // the first entry that raised the running maximum to at least the timestamp:
                // every entry before it is older than the timestamp
                long indexBase = c.val().getLong(c.val().position());
                if (indexBase >= m.startOffset()) {
                    return indexBase;
                }
            }
            // that entry was truncated away; the answer lies in its run, which ends at the next
            // indexed entry (itself an answer), so this scan is bounded by one run
            try (Cursor<ByteBuffer> c = env.entries.openCursor(txn)) {
                boolean found = c.get(pairKey(scratch.pair, m.id(), m.startOffset()), GetOp.MDB_SET_RANGE);
                while (found && segmentIdOf(c.key()) == m.id()) {
                    ByteBuffer v = c.val();
                    if (v.getLong(v.position() + 8) >= timestamp) {
                        return Math.max(v.getLong(v.position()), m.startOffset());
                    }
                    found = c.next();
                }
            }
            return -1L;
        });
    }

    Map<Long, Long> attributes(String segment, Collection<Long> ids) {
        if (!published.containsKey(segment)) {
            throw notFound(segment);
        }
        return env.read(txn -> {
            ContainerLayout.Scratch scratch = ContainerLayout.readerScratch();
            SegmentMetadata m = lookup(txn, scratch, segment);
            Map<Long, Long> values = new HashMap<>();
            for (Long id : ids) {
                ByteBuffer v = env.attributes.get(txn, pairKey(scratch.pair, m.id(), id));
                values.put(id, v == null ? Attributes.NULL_VALUE : v.getLong(v.position()));
            }
            return values;
        });
    }

    /** Attributes with ids in [from, to), both non-negative, in id order. */
    java.util.SortedMap<Long, Long> attributeRange(String segment, long from, long to) {
        if (!published.containsKey(segment)) {
            throw notFound(segment);
        }
        return env.read(txn -> {
            ContainerLayout.Scratch scratch = ContainerLayout.readerScratch();
            SegmentMetadata m = lookup(txn, scratch, segment);
            java.util.SortedMap<Long, Long> values = new java.util.TreeMap<>();
            try (Cursor<ByteBuffer> c = env.attributes.openCursor(txn)) {
                boolean found = c.get(pairKey(scratch.pair, m.id(), from), GetOp.MDB_SET_RANGE);
                while (found && ContainerLayout.segmentIdOf(c.key()) == m.id()) {
                    long id = ContainerLayout.secondOf(c.key());
                    if (id < from || id >= to) {
                        break;
                    }
                    values.put(id, c.val().getLong(c.val().position()));
                    found = c.next();
                }
            }
            return values;
        });
    }

    CompletableFuture<Void> awaitData(String segment, long offset, Duration maxWait) {
        if (!accepting) {
            return CompletableFuture.failedFuture(closed());
        }
        return waiters.await(segment, offset, maxWait, published::get);
    }

    private SegmentMetadata lookup(Txn<ByteBuffer> txn, ContainerLayout.Scratch scratch, String segment) {
        ByteBuffer key = ContainerLayout.nameKey(scratch.name, segment);
        ByteBuffer value = key == null ? null : env.segments.get(txn, key);
        if (value == null) {
            // deleted between the published check and the snapshot
            throw notFound(segment);
        }
        return SegmentMetadata.readFrom(value);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops accepting; the sequencer commits what is queued, then exits. */
    void stopAccepting() {
        accepting = false;
        queue.add(STOP);
    }

    /**
     * Stops as a killed process would: what is queued is dropped unapplied (its futures fail with
     * {@link StoreClosedException}), a group already being applied ends as its transaction does, and
     * commits not yet acknowledged are never acknowledged. Follow with {@link #awaitStopped()}.
     */
    void halt() {
        accepting = false;
        halted = true;
        for (Operation<?> op; (op = queue.poll()) != null; ) {
            if (op != STOP) {
                op.future.completeExceptionally(closed());
            }
        }
        queue.add(STOP);
    }

    /** Waits for the sequencer and the completer to finish, then wakes every parked read. */
    void awaitStopped() {
        boolean interrupted = false;
        while (sequencer.isAlive()) {
            try {
                sequencer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        completer.shutdown();
        while (!completer.isTerminated()) {
            try {
                completer.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        waiters.closeAll();
    }

    void closeEnv() {
        env.close();
    }

    private static SegmentNotFoundException notFound(String segment) {
        return new SegmentNotFoundException("segment " + segment + " does not exist");
    }

    private static StoreClosedException closed() {
        return new StoreClosedException("store is closed");
    }
}
