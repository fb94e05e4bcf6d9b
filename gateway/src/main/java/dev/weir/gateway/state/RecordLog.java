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
import java.util.function.Consumer;

/**
 * The gateway's durable state kept as a log of records in one store segment: created on first
 * use, replayed in order at start, appended to as state changes (the coordinators' pattern).
 */
public final class RecordLog {
    private final SegmentStore store;
    private final String segment;
    private final long replayed;

    private RecordLog(SegmentStore store, String segment, long replayed) {
        this.store = store;
        this.segment = segment;
        this.replayed = replayed;
    }

    /** Opens (creating if missing) the log and hands every stored record, in order, to {@code replay}. */
    public static RecordLog open(SegmentStore store, String segment, Consumer<ByteBuffer> replay) {
        if (!store.exists(segment).join()) {
            try {
                store.createSegment(segment).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof SegmentExistsException)) {
                    throw e;
                }
            }
        }
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
        return new RecordLog(store, segment, count);
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
        return store.append(segment, Append.of(new Entry(record, 1, System.currentTimeMillis(), Entry.OffsetStamp.NONE)))
                .thenApply(r -> null);
    }
}
