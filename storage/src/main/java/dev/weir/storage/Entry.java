package dev.weir.storage;

import java.nio.ByteBuffer;

/**
 * One entry to append: opaque bytes holding {@code recordCount} records, the largest of whose
 * timestamps is {@code maxTimestamp}. When the store assigns the entry its base offset it calls
 * {@code offsetStamp} so the entry can write that offset into its own header before it is stored.
 */
public record Entry(ByteBuffer data, int recordCount, long maxTimestamp, OffsetStamp offsetStamp) {

    public Entry {
        if (recordCount <= 0) {
            throw new IllegalArgumentException("recordCount must be positive: " + recordCount);
        }
    }

    /** Writes the assigned base offset into the entry's bytes. Runs on the sequencer thread. */
    @FunctionalInterface
    public interface OffsetStamp {
        OffsetStamp NONE = (data, baseOffset) -> { };

        void stamp(ByteBuffer data, long baseOffset);
    }
}
