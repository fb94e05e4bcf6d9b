package dev.weir.storage;

import static dev.weir.storage.ContainerLayout.ENTRY_HEADER_BYTES;
import static dev.weir.storage.ContainerLayout.pairKey;
import static dev.weir.storage.ContainerLayout.secondOf;
import static dev.weir.storage.ContainerLayout.segmentIdOf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * The write transaction of one group commit, as the operations see it: segment metadata with this
 * group's changes laid over the published copies, and the table writes each change needs. Owned
 * and reused by the sequencer thread; its direct buffers are the sequencer's scratch space.
 */
final class GroupTxn {
    private static final ByteBuffer NEXT_SEGMENT_ID_KEY = ContainerLayout.asciiKey(ContainerLayout.NEXT_SEGMENT_ID_KEY);

    private final ContainerEnv db;
    private final Map<String, SegmentMetadata> published;
    /** Segments changed in this group; a null value means deleted. */
    private final HashMap<String, SegmentMetadata> changed = new HashMap<>();
    private final Set<String> deleted = new HashSet<>();
    private final ByteBuffer key = ByteBuffer.allocateDirect(16);
    private final ByteBuffer name = ByteBuffer.allocateDirect(ContainerLayout.MAX_NAME_BYTES);
    private final ByteBuffer metaValue = ByteBuffer.allocateDirect(SegmentMetadata.ENCODED_BYTES);
    private final ByteBuffer longValue = ByteBuffer.allocateDirect(8);

    private Txn<ByteBuffer> txn;
    private long nextSegmentId;
    private boolean segmentIdUsed;
    private boolean freedSpace;
    private boolean rejectAppends;
    private long appendLimitBytes;
    private final List<java.util.function.Consumer<ReadIndex>> cacheChanges = new java.util.ArrayList<>();
    /** Collects this group's writes for replication; null on a single node. */
    private ChangeRecord changes;

    GroupTxn(ContainerEnv db, Map<String, SegmentMetadata> published) {
        this.db = db;
        this.published = published;
    }

    void begin(Txn<ByteBuffer> txn, long nextSegmentId, boolean rejectAppends, long appendLimitBytes) {
        begin(txn, nextSegmentId, rejectAppends, appendLimitBytes, null);
    }

    /** Begins a group whose writes are also recorded in {@code changes} (begun by the caller). */
    void begin(Txn<ByteBuffer> txn, long nextSegmentId, boolean rejectAppends, long appendLimitBytes,
               ChangeRecord changes) {
        this.txn = txn;
        this.changes = changes;
        this.nextSegmentId = nextSegmentId;
        this.segmentIdUsed = false;
        this.freedSpace = false;
        this.rejectAppends = rejectAppends;
        this.appendLimitBytes = appendLimitBytes;
        changed.clear();
        deleted.clear();
        cacheChanges.clear();
    }

    /** A committed entry joins its segment's cached tail once the transaction commits. */
    void cacheAppended(String segment, long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data) {
        cacheChanges.add(index -> index.appended(segment, baseOffset, lastOffset, maxTimestamp, data));
    }

    /** The segment's stored entries changed in place, or it is gone: its cached tail goes on commit. */
    void cacheInvalidated(String segment) {
        cacheChanges.add(index -> index.invalidate(segment));
    }

    /** After the commit: the read index follows what was committed, in order. */
    void applyToCache(ReadIndex index) {
        for (java.util.function.Consumer<ReadIndex> change : cacheChanges) {
            change.accept(index);
        }
        cacheChanges.clear();
    }

    /** Hands over the cache changes of the group (for a proposal applied later); clears them here. */
    List<java.util.function.Consumer<ReadIndex>> takeCacheChanges() {
        List<java.util.function.Consumer<ReadIndex>> taken = new ArrayList<>(cacheChanges);
        cacheChanges.clear();
        return taken;
    }

    void end() {
        txn = null;
        changes = null;
    }

    private void put(Dbi<ByteBuffer> table, byte tableId, ByteBuffer k, ByteBuffer v) {
        table.put(txn, k, v);
        if (changes != null) {
            changes.put(tableId, k, v);
        }
    }

    private void del(Dbi<ByteBuffer> table, byte tableId, ByteBuffer k) {
        table.delete(txn, k);
        if (changes != null) {
            changes.delete(tableId, k);
        }
    }

    /** Deletes the cursor's current record, recording the key first. */
    private void del(Cursor<ByteBuffer> c, byte tableId) {
        if (changes != null) {
            changes.delete(tableId, c.key());
        }
        c.delete();
    }

    /** True when the map is full and appends of this group must fail with StorageFullException. */
    boolean rejectAppends() {
        return rejectAppends;
    }

    /** No single append larger than this can ever fit in the container. */
    long appendLimitBytes() {
        return appendLimitBytes;
    }

    long nextSegmentId() {
        return nextSegmentId;
    }

    boolean freedSpace() {
        return freedSpace;
    }

    Map<String, SegmentMetadata> changed() {
        return changed;
    }

    Set<String> deleted() {
        return deleted;
    }

    // ---- segment metadata ----

    SegmentMetadata segment(String segment) {
        if (changed.containsKey(segment)) {
            return changed.get(segment);
        }
        return published.get(segment);
    }

    SegmentMetadata require(String segment) {
        SegmentMetadata m = segment(segment);
        if (m == null) {
            throw new SegmentNotFoundException("segment " + segment + " does not exist");
        }
        return m;
    }

    void update(String segment, SegmentMetadata m) {
        changed.put(segment, m);
    }

    SegmentMetadata create(String segment) {
        SegmentMetadata m = SegmentMetadata.empty(nextSegmentId++);
        segmentIdUsed = true;
        changed.put(segment, m);
        return m;
    }

    void delete(String segment, SegmentMetadata m) {
        deleteAll(db.entries, ChangeRecord.ENTRIES, m.id());
        deleteAll(db.timeIndex, ChangeRecord.TIME_INDEX, m.id());
        deleteAll(db.attributes, ChangeRecord.ATTRIBUTES, m.id());
        ByteBuffer k = ContainerLayout.nameKey(name, segment);
        if (k != null) {
            del(db.segments, ChangeRecord.SEGMENTS, k);
        }
        changed.put(segment, null);
        deleted.add(segment);
        freedSpace = true;
    }

    /** Writes every changed segment's metadata and the id counter; last step before commit. */
    void flushMetadata() {
        for (Map.Entry<String, SegmentMetadata> e : changed.entrySet()) {
            if (e.getValue() != null) {
                e.getValue().writeTo(metaValue);
                put(db.segments, ChangeRecord.SEGMENTS, ContainerLayout.nameKey(name, e.getKey()), metaValue);
            }
        }
        if (segmentIdUsed) {
            put(db.meta, ChangeRecord.META, NEXT_SEGMENT_ID_KEY, ContainerLayout.longValue(longValue, nextSegmentId));
        }
    }

    // ---- entries and time index ----

    /** Stores one entry's bytes, from {@code data}'s position to its limit. */
    void putEntry(long segmentId, long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data) {
        int length = data.remaining();
        ByteBuffer value = db.entries.reserve(txn, pairKey(key, segmentId, lastOffset), ENTRY_HEADER_BYTES + length);
        value.putLong(0, baseOffset).putLong(8, maxTimestamp);
        value.put(ENTRY_HEADER_BYTES, data, data.position(), length);
        if (changes != null) {
            changes.put(ChangeRecord.ENTRIES, key, value);
        }
    }

    /** The stored entry ending at {@code lastOffset}: {base offset, max timestamp, data bytes}, or null. */
    long[] entryInfo(long segmentId, long lastOffset) {
        ByteBuffer v = db.entries.get(txn, pairKey(key, segmentId, lastOffset));
        if (v == null) {
            return null;
        }
        return new long[] {v.getLong(v.position()), v.getLong(v.position() + 8), v.remaining() - ENTRY_HEADER_BYTES};
    }

    void deleteEntry(long segmentId, long lastOffset) {
        del(db.entries, ChangeRecord.ENTRIES, pairKey(key, segmentId, lastOffset));
        freedSpace = true;
    }

    void putTimeIndex(long segmentId, long runningMaxTimestamp, long baseOffset) {
        put(db.timeIndex, ChangeRecord.TIME_INDEX, pairKey(key, segmentId, ContainerLayout.sortableTimestamp(runningMaxTimestamp)),
                ContainerLayout.longValue(longValue, baseOffset));
    }

    /** Deletes entries whose last offset is below {@code offset}; returns the bytes they held. */
    long deleteEntriesBefore(long segmentId, long offset) {
        long freed = 0;
        try (Cursor<ByteBuffer> c = db.entries.openCursor(txn)) {
            boolean found = c.get(pairKey(key, segmentId, 0), GetOp.MDB_SET_RANGE);
            while (found && segmentIdOf(c.key()) == segmentId && secondOf(c.key()) < offset) {
                freed += c.val().remaining() - ENTRY_HEADER_BYTES;
                del(c, ChangeRecord.ENTRIES);
                // after a cursor delete, NEXT yields the record that followed the deleted one
                found = c.next();
            }
        }
        if (freed > 0) {
            freedSpace = true;
        }
        return freed;
    }

    /**
     * Deletes the oldest entries while the segment holds more than {@code maxBytes}.
     *
     * @return {remaining size, base offset of the first kept entry or -1 if none is left}
     */
    long[] deleteOldestUntil(long segmentId, long sizeBytes, long maxBytes) {
        long size = sizeBytes;
        long firstKeptBase = -1;
        try (Cursor<ByteBuffer> c = db.entries.openCursor(txn)) {
            boolean found = c.get(pairKey(key, segmentId, 0), GetOp.MDB_SET_RANGE);
            while (found && segmentIdOf(c.key()) == segmentId) {
                ByteBuffer v = c.val();
                if (size <= maxBytes) {
                    firstKeptBase = v.getLong(v.position());
                    break;
                }
                size -= v.remaining() - ENTRY_HEADER_BYTES;
                del(c, ChangeRecord.ENTRIES);
                freedSpace = true;
                found = c.next();
            }
        }
        return new long[] {size, firstKeptBase};
    }

    /**
     * Drops time index entries that can no longer answer a lookup once the segment starts at
     * {@code newStart}: an index entry covers the entries up to the next index entry's base offset,
     * so it is stale when that next base is at or before the new start. The last one covering
     * retained entries stays: lookups scan from the start offset inside its run.
     */
    void deleteStaleTimeIndex(long segmentId, long newStart) {
        List<Long> stale = null;
        try (Cursor<ByteBuffer> c = db.timeIndex.openCursor(txn)) {
            boolean found = c.get(pairKey(key, segmentId, 0), GetOp.MDB_SET_RANGE);
            long previousKey = 0;
            boolean hasPrevious = false;
            while (found && segmentIdOf(c.key()) == segmentId) {
                long base = c.val().getLong(c.val().position());
                if (base > newStart) {
                    break;
                }
                if (hasPrevious) {
                    if (stale == null) {
                        stale = new ArrayList<>();
                    }
                    stale.add(previousKey);
                }
                previousKey = secondOf(c.key());
                hasPrevious = true;
                found = c.next();
            }
        }
        if (stale != null) {
            for (long k : stale) {
                del(db.timeIndex, ChangeRecord.TIME_INDEX, pairKey(key, segmentId, k));
            }
        }
    }

    // ---- attributes ----

    long attribute(long segmentId, long attributeId) {
        ByteBuffer v = db.attributes.get(txn, pairKey(key, segmentId, attributeId));
        return v == null ? Attributes.NULL_VALUE : v.getLong(v.position());
    }

    /** Setting {@link Attributes#NULL_VALUE} removes the attribute. */
    void putAttribute(long segmentId, long attributeId, long value) {
        if (value == Attributes.NULL_VALUE) {
            del(db.attributes, ChangeRecord.ATTRIBUTES, pairKey(key, segmentId, attributeId));
        } else {
            put(db.attributes, ChangeRecord.ATTRIBUTES, pairKey(key, segmentId, attributeId),
                    ContainerLayout.longValue(longValue, value));
        }
    }

    private void deleteAll(Dbi<ByteBuffer> table, byte tableId, long segmentId) {
        try (Cursor<ByteBuffer> c = table.openCursor(txn)) {
            boolean found = c.get(pairKey(key, segmentId, 0), GetOp.MDB_SET_RANGE);
            while (found && segmentIdOf(c.key()) == segmentId) {
                del(c, tableId);
                found = c.next();
            }
        }
    }
}
