package dev.weir.storage;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The segment store: the one storage contract the gateway sees.
 *
 * <p>A segment is an append-only log of opaque entries. The store numbers entries with record
 * offsets: an entry of {@code n} records appended when the segment's next offset is {@code o}
 * occupies offsets {@code o .. o+n-1}. Segments hash to a fixed number of containers; each
 * container sequences its appends on one thread and group-commits them durably.
 *
 * <p>Every verb is asynchronous. Failures arrive as typed exceptions in the future:
 * {@link SegmentNotFoundException}, {@link SegmentExistsException}, {@link BadOffsetException},
 * {@link BadAttributeUpdateException}, {@link StorageFullException}, {@link StoreClosedException},
 * {@link StorageException}. When an append fails more than one check, the precedence is:
 * segment missing, attribute update, expected offset, storage full.
 */
public interface SegmentStore extends AutoCloseable {

    /** Creates an empty segment; fails with {@link SegmentExistsException} if it exists. */
    CompletableFuture<Void> createSegment(String segment);

    /** Deletes a segment, its entries, indexes and attributes. Pending waits on it complete. */
    CompletableFuture<Void> deleteSegment(String segment);

    /** True if the segment exists. */
    CompletableFuture<Boolean> exists(String segment);

    /**
     * Appends all entries of {@code append} atomically, in order, after checking its conditions at
     * sequencing time. Completes once the commit holding the entries is durable.
     */
    CompletableFuture<AppendResult> append(String segment, Append append);

    /**
     * Reads whole entries starting with the entry that contains {@code offset}, adding entries
     * while the total stays within {@code maxBytes}; the first entry is always returned whole even
     * if it alone is larger. An offset outside {@code [startOffset, nextOffset)} gives no entries;
     * the result's info lets the caller tell which case it is.
     */
    CompletableFuture<ReadResult> read(String segment, long offset, int maxBytes);

    /**
     * Like {@link #read}, but entries served from the tail cache are not copied: the result's
     * {@link ReadResult#bytes bytes} are views of the cache's off-heap memory, which stays reserved
     * for them until the caller calls {@link ReadResult#release()} (it must, exactly when it is done
     * with them). Entries carry no {@code data} of their own. Entries read from LMDB are copied
     * once, into an off-heap buffer that the release gives back (a small read gets a heap array).
     * Meant for sending stored bytes to a socket without copying them again.
     */
    CompletableFuture<ReadResult> readShared(String segment, long offset, int maxBytes);

    /**
     * A future read: like {@link #read}, but if {@code offset} is at the segment's end, waits until
     * data arrives there or {@code maxWait} passes (then completes with no entries).
     */
    CompletableFuture<ReadResult> readWait(String segment, long offset, int maxBytes, Duration maxWait);

    /**
     * Completes when the segment's next offset exceeds {@code offset}, when the segment is
     * truncated past it or deleted, or when {@code maxWait} passes, whichever is first; never fails
     * on timeout. Lets a caller wait for any of several segments.
     */
    CompletableFuture<Void> awaitData(String segment, long offset, Duration maxWait);

    CompletableFuture<SegmentInfo> getInfo(String segment);

    /**
     * The base offset of the first entry whose maximum timestamp is at or after {@code timestamp},
     * or -1 if there is none. O(log n).
     */
    CompletableFuture<Long> findOffsetByTimestamp(String segment, long timestamp);

    /**
     * Moves the segment's start offset forward to {@code newStartOffset} (never backwards, never
     * past the next offset) and drops entries wholly before it. Returns the resulting start offset.
     */
    CompletableFuture<Long> truncate(String segment, long newStartOffset);

    /**
     * Drops the oldest whole entries until the segment's retained size is at most {@code maxBytes}.
     * Returns the resulting start offset.
     */
    CompletableFuture<Long> truncateToSize(String segment, long maxBytes);

    /**
     * Log compaction's verb: replaces stored entries in place, each named by its offsets, by data
     * covering the same offsets with fewer records, or drops them (data null). Entries truncated in
     * the meantime are skipped; the start and next offsets never change. Completes with the bytes freed.
     */
    CompletableFuture<Long> rewriteEntries(String segment, java.util.List<EntryRewrite> rewrites);

    /** Current values of the given attributes; absent ones map to {@link Attributes#NULL_VALUE}. */
    CompletableFuture<Map<Long, Long>> getAttributes(String segment, Collection<Long> attributeIds);

    /**
     * The attributes whose ids lie in {@code [fromId, toId)} (both non-negative), in id order: lets a
     * caller keep a family of attributes under one id prefix and list it.
     */
    CompletableFuture<java.util.SortedMap<Long, Long>> getAttributeRange(String segment, long fromId, long toId);

    /**
     * True if this store may take writes to the segment now: always on a single node; in a
     * cluster, while this replica leads the segment's container. Writes elsewhere fail with
     * {@link NotLeaderException}; reads see the replica's committed state.
     */
    default boolean leads(String segment) {
        return true;
    }

    /** True if this store is one replica of a cluster's. */
    default boolean replicated() {
        return false;
    }

    /**
     * Stops as a killed process would: queued work is dropped unapplied and fails with
     * {@link StoreClosedException}, commits not yet acknowledged are never acknowledged, and the
     * environments close without the graceful steps of {@link #close()}. What was acknowledged
     * survives, as the durability promise says it survives {@code kill -9}. For crash tests.
     */
    void halt();

    /** Stops the sequencers after the queued work is committed, then closes the environments. */
    @Override
    void close();
}
