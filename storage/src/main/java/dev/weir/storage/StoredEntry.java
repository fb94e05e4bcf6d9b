package dev.weir.storage;

import java.nio.ByteBuffer;

/**
 * An entry as read back: its offsets, its max timestamp and its stored bytes. The entries of one
 * read are consecutive slices of one heap array, in order; callers must not write to them.
 */
public record StoredEntry(long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data) {
}
