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
    private static final ByteBuffer APPLIED_INDEX_KEY = ContainerLayout.asciiKey(ContainerLayout.APPLIED_INDEX_KEY);
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

    // replication (sequencer-thread state unless noted); all unused when log is null
    /** The replicated log under this container, or null on a single node. */
    private final ContainerLog replicaLog;
    private final ChangeRecord changes;
    private final ByteBuffer applyKey = ByteBuffer.allocateDirect(ContainerLayout.MAX_NAME_BYTES + 1);
    /** Tells this sequencer's proposals from any other's: random per open, then counted up. */
    private long nextToken = new java.util.Random().nextLong();
    /** The log index of the last change record applied here (volatile: read by the log's thread). */
    private volatile long appliedIndex;
    /** The one group proposed and not yet applied or failed. */
    private Proposal inFlight;

    private SegmentContainer(int index, ContainerEnv env, boolean sync, long mapCapBytes, long cacheBytes,
                             MetricRegistry metrics, ScheduledExecutorService timer, ContainerLog log) {
        this.index = index;
        this.replicaLog = log;
        this.changes = log == null ? null : new ChangeRecord();
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
                                 long cacheBytes, MetricRegistry metrics, ScheduledExecutorService timer,
                                 ContainerLog log)
            throws IOException {
        ContainerEnv env = ContainerEnv.open(dir, initialMapBytes, sync);
        try {
            SegmentContainer c = new SegmentContainer(index, env, sync, mapCapBytes, cacheBytes, metrics, timer, log);
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
            ByteBuffer applied = env.meta.get(txn, APPLIED_INDEX_KEY);
            appliedIndex = applied == null ? 0 : applied.getLong(applied.position());
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
        if (replicaLog != null) {
            sequenceReplicated();
            return;
        }
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
        finishGroup(ops, null);
    }

    /**
     * Hands the outcomes of a committed group to the completer: it makes the commit durable (one
     * flush for all groups committed by then), completes the operations, then {@code alsoDone},
     * and wakes the reads waiting on the segments the group touched.
     */
    private void finishGroup(List<Operation<?>> ops, CompletableFuture<Void> alsoDone) {
        long groupNumber = ++committedGroups;
        List<String> changed = touched.isEmpty() ? List.of() : new ArrayList<>(touched);
        Set<String> deleted = touchedDeleted.isEmpty() ? Set.of() : new HashSet<>(touchedDeleted);
        touched.clear();
        touchedDeleted.clear();
        Runnable completion = () -> {
            if (halted) {
                ops.forEach(op -> op.future.completeExceptionally(closed()));
                if (alsoDone != null) {
                    alsoDone.completeExceptionally(closed());
                }
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
                    if (alsoDone != null) {
                        alsoDone.completeExceptionally(failure);
                    }
                    durable = false;
                }
            }
            if (durable) {
                for (Operation<?> op : ops) {
                    op.complete();
                }
                if (alsoDone != null) {
                    alsoDone.complete(null);
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
        return commit(ops, false);
    }

    /** {@link #commit(List)}; a speculative run records the group's changes and rolls them back. */
    private boolean commit(List<Operation<?>> ops, boolean speculative) {
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
                    applyAndCommit(ops, rejectAppends, speculative);
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

    private void applyAndCommit(List<Operation<?>> ops, boolean rejectAppends, boolean speculative) {
        for (Operation<?> op : ops) {
            op.reset();
        }
        Txn<ByteBuffer> txn = env.beginWrite();
        try {
            if (speculative) {
                changes.begin();
            }
            group.begin(txn, nextSegmentId, rejectAppends, mapCapBytes, speculative ? changes : null);
            for (Operation<?> op : ops) {
                op.run(group);
            }
            group.flushMetadata();
            if (speculative) {
                return; // closing the transaction below rolls it back; the change record holds it
            }
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

    // ---------------------------------------------------------------- replication

    /** A group proposed to the log: its outcomes wait for its change record to come back applied. */
    private record Proposal(long token, List<Operation<?>> ops,
                            List<java.util.function.Consumer<ReadIndex>> cacheChanges, long startedNanos) {
    }

    /** A committed change record from the log, to apply in log order. */
    private static final class ApplyCommitted extends Operation<Void> {
        final long logIndex;
        final ByteBuffer record;

        ApplyCommitted(long logIndex, ByteBuffer record) {
            super(null);
            this.logIndex = logIndex;
            this.record = record;
        }

        @Override
        Void apply(GroupTxn g) {
            throw new IllegalStateException("applied by the sequencer itself");
        }
    }

    /** The log could not commit the proposal with this token. */
    private static final class ProposalFailed extends Operation<Void> {
        final long token;
        final Throwable cause;

        ProposalFailed(long token, Throwable cause) {
            super(null);
            this.token = token;
            this.cause = cause;
        }

        @Override
        Void apply(GroupTxn g) {
            throw new IllegalStateException("handled by the sequencer itself");
        }
    }

    /**
     * Applies a change record the log committed at {@code logIndex}; completes once it is applied
     * (and flushed when the store syncs). Records at or below the last applied index are replays of
     * what this container already holds and complete at once.
     */
    CompletableFuture<Void> applyCommitted(long logIndex, ByteBuffer record) {
        return submit(new ApplyCommitted(logIndex, record));
    }

    long appliedIndex() {
        return appliedIndex;
    }

    /**
     * The sequencer of a replica: client operations wait while a proposal is out, then go together
     * as the next group; committed records and failed proposals are handled as they arrive. Only
     * one proposal is out at a time, so each is computed on the state every earlier one left.
     */
    private void sequenceReplicated() {
        java.util.ArrayDeque<Operation<?>> waiting = new java.util.ArrayDeque<>();
        boolean stopping = false;
        while (!stopping) {
            if (inFlight == null && !waiting.isEmpty()) {
                List<Operation<?>> ops = new ArrayList<>();
                long bytes = 0;
                while (!waiting.isEmpty() && ops.size() < MAX_GROUP_OPERATIONS
                        && (ops.isEmpty() || bytes + waiting.peek().sizeBytes() <= ContainerLog.MAX_GROUP_BYTES)) {
                    Operation<?> op = waiting.poll();
                    ops.add(op);
                    bytes += op.sizeBytes();
                }
                propose(ops);
                continue;
            }
            Operation<?> op;
            try {
                op = queue.take();
            } catch (InterruptedException e) {
                continue;
            }
            for (; op != null; op = queue.poll()) {
                if (op == STOP) {
                    stopping = true;
                    break;
                }
                if (op instanceof ApplyCommitted a) {
                    applyCommittedRecord(a);
                } else if (op instanceof ProposalFailed f) {
                    proposalFailed(f.token, f.cause);
                } else {
                    waiting.add(op);
                }
            }
        }
        if (inFlight != null) {
            inFlight.ops().forEach(op -> op.future.completeExceptionally(closed()));
            inFlight = null;
        }
        waiting.forEach(op -> op.future.completeExceptionally(closed()));
        for (Operation<?> op; (op = queue.poll()) != null; ) {
            if (op != STOP) {
                op.future.completeExceptionally(closed());
            }
        }
    }

    /** Runs the group in a transaction that is rolled back, and proposes what it wrote. */
    private void propose(List<Operation<?>> ops) {
        if (!replicaLog.isLeader(index)) {
            NotLeaderException e = notLeader("container " + index + " is led by another node");
            ops.forEach(op -> op.future.completeExceptionally(e));
            return;
        }
        long started = System.nanoTime();
        readIndex.nextGeneration();
        try {
            commit(ops, true);
        } catch (Throwable t) {
            log.error("container {}: sequencer failed on a group of {} operations", index, ops.size(), t);
            StorageException failure = new StorageException("container " + index + " failed", t);
            ops.forEach(op -> op.failUnlessRejected(failure));
        }
        List<java.util.function.Consumer<ReadIndex>> cacheChanges = group.takeCacheChanges();
        if (changes.isEmpty() || ops.stream().allMatch(Operation::rejected)) {
            // nothing to replicate: every outcome is already final (rejections, reads of state)
            finishGroup(ops, null);
            return;
        }
        long token = ++nextToken;
        byte[] record = changes.finish(token, appliedIndex);
        if (record.length > ContainerLog.MAX_RECORD_BYTES) {
            StorageException tooLarge = new StorageException("container " + index + ": a commit of " + record.length
                    + " bytes exceeds the " + ContainerLog.MAX_RECORD_BYTES + " a replicated commit may carry");
            ops.forEach(op -> op.failUnlessRejected(tooLarge));
            finishGroup(ops, null);
            return;
        }
        inFlight = new Proposal(token, ops, cacheChanges, started);
        CompletableFuture<Void> proposed;
        try {
            proposed = replicaLog.propose(index, record);
        } catch (RuntimeException e) {
            proposed = CompletableFuture.failedFuture(e);
        }
        proposed.whenComplete((v, e) -> {
            if (e != null) {
                submitControl(new ProposalFailed(token, e instanceof java.util.concurrent.CompletionException
                        && e.getCause() != null ? e.getCause() : e));
            }
        });
    }

    private void submitControl(Operation<?> op) {
        if (accepting) {
            queue.add(op);
        }
    }

    private void proposalFailed(long token, Throwable cause) {
        if (inFlight == null || inFlight.token() != token) {
            return; // already applied (or skipped) before the failure arrived
        }
        Proposal p = inFlight;
        inFlight = null;
        StorageException failure = cause instanceof StorageException se ? se
                : notLeader("container " + index + ": the write was not committed (" + cause + ")");
        p.ops().forEach(op -> op.failUnlessRejected(failure));
        finishGroup(p.ops(), null);
    }

    private void applyCommittedRecord(ApplyCommitted a) {
        if (a.logIndex <= appliedIndex) {
            a.future.complete(null); // a replay of what this container already holds
            return;
        }
        Proposal ours = inFlight != null && inFlight.token() == ChangeRecord.token(a.record) ? inFlight : null;
        if (ChangeRecord.basedOn(a.record) != appliedIndex) {
            // Computed on a state this replica does not have (its proposer had not seen an earlier
            // record): every replica sees the same log, so every replica skips it alike.
            if (ours != null) {
                inFlight = null;
                NotLeaderException stale = notLeader("container " + index + ": the write raced a change of leader");
                ours.ops().forEach(op -> op.failUnlessRejected(stale));
                finishGroup(ours.ops(), null);
            }
            a.future.complete(null);
            return;
        }
        readIndex.nextGeneration();
        Map<String, SegmentMetadata> changedSegments = new HashMap<>();
        Set<String> deletedSegments = new HashSet<>();
        long[] segmentIds = {nextSegmentId};
        try {
            writeRecord(a, changedSegments, deletedSegments, segmentIds);
        } catch (RuntimeException e) {
            // The log committed this record: a replica that cannot apply it must not go on.
            log.error("container {}: applying committed change record {} failed; this replica stops applying",
                    index, a.logIndex, e);
            a.future.completeExceptionally(e);
            return;
        }
        appliedIndex = a.logIndex;
        nextSegmentId = segmentIds[0];
        for (Map.Entry<String, SegmentMetadata> e : changedSegments.entrySet()) {
            if (e.getValue() == null) {
                published.remove(e.getKey());
            } else {
                published.put(e.getKey(), e.getValue());
            }
            touched.add(e.getKey());
        }
        touchedDeleted.addAll(deletedSegments);
        List<Operation<?>> ops = List.of();
        if (ours != null) {
            inFlight = null;
            ours.cacheChanges().forEach(change -> change.accept(readIndex));
            ours.ops().forEach(Operation::markCommitted);
            ops = ours.ops();
            commitLatency.update(System.nanoTime() - ours.startedNanos(), TimeUnit.NANOSECONDS);
            batchSize.update(ops.size());
        } else {
            changedSegments.keySet().forEach(readIndex::invalidate);
        }
        finishGroup(ops, a.future);
    }

    /** Writes a committed record and the applied index in one transaction, growing the map as needed. */
    private void writeRecord(ApplyCommitted a, Map<String, SegmentMetadata> changedSegments,
                             Set<String> deletedSegments, long[] segmentIds) {
        ByteBuffer key = applyKey;
        while (true) {
            changedSegments.clear();
            deletedSegments.clear();
            segmentIds[0] = nextSegmentId;
            try {
                writeRecordOnce(a, key, changedSegments, deletedSegments, segmentIds);
                return;
            } catch (RuntimeException e) {
                if (!ContainerEnv.isMapFull(e)) {
                    throw e;
                }
                // the leader fit it under its cap; a replica takes the room it needs
                long grown = env.mapSize() * 2;
                log.info("container {}: growing map from {} to {} bytes to apply record {}", index, env.mapSize(),
                        grown, a.logIndex);
                env.resize(grown);
            }
        }
    }

    private void writeRecordOnce(ApplyCommitted a, ByteBuffer key, Map<String, SegmentMetadata> changedSegments,
                                 Set<String> deletedSegments, long[] segmentIds) {
        Txn<ByteBuffer> txn = env.beginWrite();
        try {
            ChangeRecord.forEach(a.record, new ChangeRecord.Visitor() {
                @Override
                public void put(byte table, ByteBuffer k, ByteBuffer v) {
                    ByteBuffer dst = env.table(table).reserve(txn, direct(key, k), v.remaining());
                    dst.put(0, v, v.position(), v.remaining());
                    if (table == ChangeRecord.SEGMENTS) {
                        changedSegments.put(ContainerLayout.nameOf(k), SegmentMetadata.readFrom(v));
                    } else if (table == ChangeRecord.META && k.equals(NEXT_SEGMENT_ID_KEY)) {
                        segmentIds[0] = v.getLong(v.position());
                    }
                }

                @Override
                public void delete(byte table, ByteBuffer k) {
                    env.table(table).delete(txn, direct(key, k));
                    if (table == ChangeRecord.SEGMENTS) {
                        String name = ContainerLayout.nameOf(k);
                        changedSegments.put(name, null);
                        deletedSegments.add(name);
                    }
                }
            });
            env.meta.put(txn, APPLIED_INDEX_KEY, ContainerLayout.longValue(scratchValue, a.logIndex));
            txn.commit();
        } finally {
            txn.close();
        }
    }

    private static ByteBuffer direct(ByteBuffer scratch, ByteBuffer key) {
        scratch.clear();
        scratch.put(key.duplicate()).flip();
        return scratch;
    }

    private NotLeaderException notLeader(String message) {
        return new NotLeaderException(message, replicaLog.leaderOf(index));
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
