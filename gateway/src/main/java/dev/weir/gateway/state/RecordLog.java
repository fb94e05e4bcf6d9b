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

    private RecordLog(SegmentStore store, String segment) {
        this.store = store;
        this.segment = segment;
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
        while (true) {
            ReadResult r = store.read(segment, offset, 1 << 20).join();
            if (r.entries().isEmpty()) {
                break;
            }
            for (StoredEntry e : r.entries()) {
                replay.accept(e.data());
                offset = e.lastOffset() + 1;
            }
        }
        return new RecordLog(store, segment);
    }

    /** Appends one record; completes once it is durable. */
    public CompletableFuture<Void> append(ByteBuffer record) {
        return store.append(segment, Append.of(new Entry(record, 1, System.currentTimeMillis(), Entry.OffsetStamp.NONE)))
                .thenApply(r -> null);
    }
}
