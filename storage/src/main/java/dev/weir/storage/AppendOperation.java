package dev.weir.storage;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * An {@link Append} at sequencing time: checks its conditions in the documented precedence
 * (segment, attributes, expected offset, space), assigns offsets, stamps them into the entries and
 * writes entries, time index, attributes and metadata into the group's transaction.
 */
final class AppendOperation extends Operation<AppendResult> {
    private final Append append;
    private final long sizeBytes;

    AppendOperation(String segment, Append append) {
        super(segment);
        this.append = append;
        long bytes = 0;
        for (Entry e : append.entries()) {
            bytes += e.data().remaining();
        }
        this.sizeBytes = bytes;
    }

    @Override
    boolean isAppend() {
        return true;
    }

    @Override
    long sizeBytes() {
        return sizeBytes;
    }

    @Override
    AppendResult apply(GroupTxn group) {
        SegmentMetadata m = group.require(segment);
        List<AttributeUpdate> updates = append.attributeUpdates();
        if (append.condition() != null) {
            long[] ids = append.condition().reads();
            long[] current = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                current[i] = group.attribute(m.id(), ids[i]);
            }
            AppendCondition.Decision decision;
            try {
                decision = append.condition().decide(current, m.nextOffset());
            } catch (StorageException e) {
                throw e;
            } catch (RuntimeException e) {
                // A faulty condition fails its own append, never the whole group.
                throw new StorageException("segment " + segment + ": append condition failed", e);
            }
            if (decision instanceof AppendCondition.Skip skip) {
                return skip.result();
            }
            List<AttributeUpdate> all = new java.util.ArrayList<>(updates);
            all.addAll(((AppendCondition.Proceed) decision).updates());
            updates = all;
        }
        long[] attributeValues = evaluateAttributes(group, m.id(), updates);
        if (append.expectedOffset() != Append.ANY_OFFSET && append.expectedOffset() != m.nextOffset()) {
            throw new BadOffsetException(segment, append.expectedOffset(), m.nextOffset());
        }
        if (sizeBytes > group.appendLimitBytes()) {
            throw new StorageFullException("segment " + segment + ": append of " + sizeBytes
                    + " bytes exceeds the container's budget of " + group.appendLimitBytes() + " bytes");
        }
        if (group.rejectAppends()) {
            throw new StorageFullException("segment " + segment + ": storage is full");
        }
        long now = System.currentTimeMillis();
        List<Entry> entries = append.entries();
        long baseOffset = m.nextOffset();
        stampOffsets(entries, baseOffset);

        long next = baseOffset;
        long size = m.sizeBytes();
        long maxTimestamp = m.maxTimestamp();
        long maxTimestampOffset = m.maxTimestampOffset();
        for (Entry e : entries) {
            long last = next + e.recordCount() - 1;
            ByteBuffer data = e.data();
            group.putEntry(m.id(), next, last, e.maxTimestamp(), data);
            group.cacheAppended(segment, next, last, e.maxTimestamp(), data);
            if (e.maxTimestamp() > maxTimestamp) {
                maxTimestamp = e.maxTimestamp();
                maxTimestampOffset = next;
                group.putTimeIndex(m.id(), maxTimestamp, next);
            }
            size += data.remaining();
            next = last + 1;
        }
        for (int i = 0; i < updates.size(); i++) {
            group.putAttribute(m.id(), updates.get(i).id(), attributeValues[i]);
        }
        if (!entries.isEmpty()) {
            group.update(segment, new SegmentMetadata(m.id(), m.startOffset(), next, size, maxTimestamp,
                    maxTimestampOffset));
        }
        return new AppendResult(baseOffset, next, now, m.startOffset());
    }

    /** The value each update leaves behind, in order; later updates of one id see earlier ones. */
    private long[] evaluateAttributes(GroupTxn group, long segmentId, List<AttributeUpdate> updates) {
        long[] values = new long[updates.size()];
        for (int i = 0; i < updates.size(); i++) {
            AttributeUpdate u = updates.get(i);
            long current = Attributes.NULL_VALUE;
            boolean seen = false;
            for (int j = i - 1; j >= 0 && !seen; j--) {
                if (updates.get(j).id() == u.id()) {
                    current = values[j];
                    seen = true;
                }
            }
            if (!seen) {
                current = group.attribute(segmentId, u.id());
            }
            boolean ok = switch (u.type()) {
                case NONE -> current == Attributes.NULL_VALUE;
                case REPLACE, ACCUMULATE -> true;
                case REPLACE_IF_GREATER -> current == Attributes.NULL_VALUE || u.value() > current;
                case REPLACE_IF_EQUALS -> current == u.comparand();
            };
            if (!ok) {
                throw new BadAttributeUpdateException(segment, u, current);
            }
            values[i] = u.type() == AttributeUpdate.Type.ACCUMULATE
                    ? (current == Attributes.NULL_VALUE ? 0 : current) + u.value()
                    : u.value();
        }
        return values;
    }

    private void stampOffsets(List<Entry> entries, long baseOffset) {
        long offset = baseOffset;
        for (Entry e : entries) {
            try {
                e.offsetStamp().stamp(e.data().duplicate(), offset);
            } catch (RuntimeException ex) {
                throw new StorageException("segment " + segment + ": stamping offset " + offset + " failed", ex);
            }
            offset += e.recordCount();
        }
    }
}
