package dev.weir.storage;

import java.util.concurrent.CompletableFuture;

/**
 * A change queued to a container's sequencer. {@link #apply} runs inside the group's write
 * transaction; it validates everything first and throws a {@link StorageException} (failing only
 * this operation) before it writes anything. Any other exception fails the whole transaction.
 * The outcome is held until the transaction commits, then {@link #complete} publishes it.
 */
abstract class Operation<R> {
    final String segment;
    final CompletableFuture<R> future = new CompletableFuture<>();
    private R result;
    private Throwable failure;
    private boolean ran;
    private boolean committed;

    Operation(String segment) {
        this.segment = segment;
    }

    abstract R apply(GroupTxn group);

    /** Appends are what a full map rejects; other operations free space or need almost none. */
    boolean isAppend() {
        return false;
    }

    /** Bytes this operation adds, to bound the size of one group. */
    long sizeBytes() {
        return 0;
    }

    final void run(GroupTxn group) {
        try {
            result = apply(group);
            failure = null;
        } catch (StorageException e) {
            result = null;
            failure = e;
        }
        ran = true;
    }

    final void reset() {
        result = null;
        failure = null;
        ran = false;
        committed = false;
    }

    /** The transaction holding this outcome committed: nothing may overwrite it now. */
    final void markCommitted() {
        committed = true;
    }

    /** True if the last run rejected this operation (it wrote nothing). */
    final boolean rejected() {
        return ran && failure != null;
    }

    /**
     * Replaces any outcome except a rejection, which stays the more precise answer, or a
     * committed one, which is final.
     */
    final void failUnlessRejected(Throwable t) {
        if (!rejected() && !committed) {
            result = null;
            failure = t;
            ran = true;
        }
    }

    final void complete() {
        if (failure != null) {
            future.completeExceptionally(failure);
        } else {
            future.complete(result);
        }
    }

    static final class CreateSegment extends Operation<Void> {
        CreateSegment(String segment) {
            super(segment);
        }

        @Override
        Void apply(GroupTxn group) {
            if (group.segment(segment) != null) {
                throw new SegmentExistsException("segment " + segment + " already exists");
            }
            group.create(segment);
            return null;
        }
    }

    static final class DeleteSegment extends Operation<Void> {
        DeleteSegment(String segment) {
            super(segment);
        }

        @Override
        Void apply(GroupTxn group) {
            group.delete(segment, group.require(segment));
            group.cacheInvalidated(segment);
            return null;
        }
    }

    /** Moves the start offset forward; entries wholly before it go. */
    static final class Truncate extends Operation<Long> {
        private final long newStartOffset;

        Truncate(String segment, long newStartOffset) {
            super(segment);
            this.newStartOffset = newStartOffset;
        }

        @Override
        Long apply(GroupTxn group) {
            SegmentMetadata m = group.require(segment);
            long target = Math.min(newStartOffset, m.nextOffset());
            if (target <= m.startOffset()) {
                return m.startOffset();
            }
            long freed = group.deleteEntriesBefore(m.id(), target);
            group.deleteStaleTimeIndex(m.id(), target);
            group.update(segment, m.withBounds(target, m.sizeBytes() - freed));
            return target;
        }
    }

    /** Drops the oldest whole entries until the segment fits in {@code maxBytes}. */
    static final class TruncateToSize extends Operation<Long> {
        private final long maxBytes;

        TruncateToSize(String segment, long maxBytes) {
            super(segment);
            this.maxBytes = maxBytes;
        }

        @Override
        Long apply(GroupTxn group) {
            SegmentMetadata m = group.require(segment);
            if (m.sizeBytes() <= maxBytes) {
                return m.startOffset();
            }
            long[] kept = group.deleteOldestUntil(m.id(), m.sizeBytes(), maxBytes);
            long firstKeptBase = kept[1] < 0 ? m.nextOffset() : kept[1];
            long newStart = Math.max(m.startOffset(), firstKeptBase);
            group.deleteStaleTimeIndex(m.id(), newStart);
            group.update(segment, m.withBounds(newStart, kept[0]));
            return newStart;
        }
    }

    /** Replaces or drops stored entries in place; offsets, start and next offset stay. Returns the bytes freed. */
    static final class Rewrite extends Operation<Long> {
        private final java.util.List<EntryRewrite> rewrites;

        Rewrite(String segment, java.util.List<EntryRewrite> rewrites) {
            super(segment);
            this.rewrites = java.util.List.copyOf(rewrites);
        }

        @Override
        Long apply(GroupTxn group) {
            SegmentMetadata m = group.require(segment);
            long freed = 0;
            for (EntryRewrite r : rewrites) {
                long[] stored = group.entryInfo(m.id(), r.lastOffset());
                if (stored == null || stored[0] != r.baseOffset() || r.baseOffset() < m.startOffset()) {
                    continue; // truncated (or never there): nothing to rewrite
                }
                if (r.data() == null) {
                    group.deleteEntry(m.id(), r.lastOffset());
                    freed += stored[2];
                } else {
                    group.putEntry(m.id(), r.baseOffset(), r.lastOffset(), stored[1], r.data());
                    freed += stored[2] - r.data().remaining();
                }
            }
            if (freed != 0) {
                group.update(segment, m.withBounds(m.startOffset(), m.sizeBytes() - freed));
            }
            group.cacheInvalidated(segment);
            return freed;
        }
    }
}
