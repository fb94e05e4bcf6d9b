package dev.weir.gateway.state;

import dev.weir.storage.Append;
import dev.weir.storage.Entry;
import dev.weir.storage.ReadResult;
import dev.weir.storage.SegmentExistsException;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoredEntry;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import dev.weir.storage.NotLeaderException;
import dev.weir.storage.StoreClosedException;

/**
 * The gateway's durable state kept as a log of records in one store segment: created on first
 * use, replayed in order at start, appended to as state changes (the coordinators' pattern).
 */
public final class RecordLog {
    private final SegmentStore store;
    private final String segment;
    private final long replayed;
    private static final java.time.Duration SEGMENT_WAIT = java.time.Duration.ofSeconds(120);
    private static final java.time.Duration FOLLOW_WAIT = java.time.Duration.ofSeconds(5);
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RecordLog.class);
    /** Records this node appended and has not seen come back while following (compared by content). */
    private final java.util.Collection<ByteBuffer> ownRecords = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile long nextToRead;
    private volatile boolean closed;
    private volatile boolean following;

    private RecordLog(SegmentStore store, String segment, long replayed) {
        this.store = store;
        this.segment = segment;
        this.replayed = replayed;
    }

    /** Opens (creating if missing) the log and hands every stored record, in order, to {@code replay}. */
    public static RecordLog open(SegmentStore store, String segment, Consumer<ByteBuffer> replay) {
        awaitSegment(store, segment);
        long offset = store.getInfo(segment).join().startOffset();
        long count = 0;
        while (true) {
            ReadResult r = store.read(segment, offset, 1 << 20).join();
            if (r.entries().isEmpty()) {
                break;
            }
            for (StoredEntry e : r.entries()) {
                replay.accept(e.data());
                offset = e.lastOffset() + 1;
                count++;
            }
        }
        RecordLog opened = new RecordLog(store, segment, count);
        opened.nextToRead = offset;
        return opened;
    }

    /**
     * Creates the segment if it is missing. In a cluster only the leader of its container may: the
     * other nodes wait until the segment reaches them (their gateways start together).
     */
    private static void awaitSegment(SegmentStore store, String segment) {
        long deadline = System.nanoTime() + SEGMENT_WAIT.toNanos();
        boolean told = false;
        while (!store.exists(segment).join()) {
            if (store.leads(segment)) {
                try {
                    store.createSegment(segment).join();
                    return;
                } catch (CompletionException e) {
                    if (e.getCause() instanceof SegmentExistsException) {
                        return;
                    }
                    if (!(e.getCause() instanceof NotLeaderException)) {
                        throw e;
                    }
                }
            }
            if (!told) {
                log.info("Waiting for {} from the leader of its container (a majority of the nodes must be up)", segment);
                told = true;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the state segment " + segment + " was not created within "
                        + SEGMENT_WAIT.toSeconds() + " s: is the node leading its container up?");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /**
     * In a cluster: from now on, hands each record another node appends to {@code replay}, run on
     * {@code executor}, so this node's copy of the state follows the leader's. Records this node
     * appended itself are skipped: their state was applied when they were written.
     */
    public void follow(Consumer<ByteBuffer> replay, Executor executor) {
        if (!store.replicated()) {
            return;
        }
        following = true;
        followNext(replay, executor);
    }

    private void followNext(Consumer<ByteBuffer> replay, Executor executor) {
        if (closed) {
            return;
        }
        store.readWait(segment, nextToRead, 1 << 20, FOLLOW_WAIT).whenCompleteAsync((r, failure) -> {
            if (failure == null) {
                if (r.entries().isEmpty() && nextToRead < r.info().startOffset()) {
                    nextToRead = r.info().startOffset(); // compacted past what was read
                }
                for (StoredEntry e : r.entries()) {
                    nextToRead = e.lastOffset() + 1;
                    if (!ownRecords.remove(e.data())) {
                        try {
                            replay.accept(e.data());
                        } catch (RuntimeException ex) {
                            log.warn("state log {}: a followed record at {} did not apply: {}", segment,
                                    e.baseOffset(), ex.toString());
                        }
                    }
                }
            } else if (unwrap(failure) instanceof StoreClosedException) {
                return;
            } else {
                log.debug("state log {}: following at {} failed: {}", segment, nextToRead, failure.toString());
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, executor).execute(() -> followNext(replay, executor));
                return;
            }
            followNext(replay, executor);
        }, executor);
    }

    public void close() {
        closed = true;
    }

    /** How many records the log held when it was opened. */
    public long replayed() {
        return replayed;
    }

    /**
     * Compacts the log: appends {@code live} (records that by themselves rebuild the current state)
     * and then drops every record before them. A crash in between leaves old and new records, and
     * replaying both yields the same state, so records must be idempotent upserts or tombstones.
     */
    public void rewrite(java.util.List<ByteBuffer> live) {
        if (!store.leads(segment)) {
            return; // in a cluster the leader of the log's container compacts it; the others follow
        }
        long start = store.getInfo(segment).join().nextOffset();
        // Issued back to back, the appends share group commits and keep their order.
        java.util.List<CompletableFuture<Void>> written = new java.util.ArrayList<>();
        for (ByteBuffer record : live) {
            written.add(append(record));
        }
        CompletableFuture.allOf(written.toArray(CompletableFuture[]::new)).join();
        store.truncate(segment, start).join();
    }

    /** Appends one record; completes once it is durable. */
    public CompletableFuture<Void> append(ByteBuffer record) {
        if (following) {
            ownRecords.add(record.duplicate());
        }
        return store.append(segment, Append.of(new Entry(record, 1, System.currentTimeMillis(), Entry.OffsetStamp.NONE)))
                .thenApply(r -> null);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
