package dev.weir.storage;

import java.nio.ByteBuffer;

/**
 * A segment's state as stored in the {@code segments} table. Immutable: the sequencer builds a new
 * copy per change and publishes it only after the commit that holds it succeeded.
 *
 * @param maxTimestamp running maximum of appended entry timestamps; {@link #NO_TIMESTAMP} before
 *                     the first entry (the time index keys on it, so every first entry is indexed)
 */
record SegmentMetadata(long id, long startOffset, long nextOffset, long sizeBytes,
                       long maxTimestamp, long maxTimestampOffset) {

    static final long NO_TIMESTAMP = Long.MIN_VALUE;
    static final int ENCODED_BYTES = 48;

    static SegmentMetadata empty(long id) {
        return new SegmentMetadata(id, 0, 0, 0, NO_TIMESTAMP, -1);
    }

    /** Entries without a timestamp (-1, Kafka's NO_TIMESTAMP) or below it do not count as a maximum. */
    SegmentInfo toInfo(String segment) {
        boolean none = maxTimestamp <= -1;
        return new SegmentInfo(segment, startOffset, nextOffset, sizeBytes,
                none ? -1 : maxTimestamp, none ? -1 : maxTimestampOffset);
    }

    SegmentMetadata withBounds(long newStart, long newSize) {
        return new SegmentMetadata(id, newStart, nextOffset, newSize, maxTimestamp, maxTimestampOffset);
    }

    void writeTo(ByteBuffer dst) {
        dst.clear();
        dst.putLong(0, id).putLong(8, startOffset).putLong(16, nextOffset).putLong(24, sizeBytes)
                .putLong(32, maxTimestamp).putLong(40, maxTimestampOffset);
        dst.limit(ENCODED_BYTES);
    }

    static SegmentMetadata readFrom(ByteBuffer src) {
        int p = src.position();
        return new SegmentMetadata(src.getLong(p), src.getLong(p + 8), src.getLong(p + 16), src.getLong(p + 24),
                src.getLong(p + 32), src.getLong(p + 40));
    }
}
