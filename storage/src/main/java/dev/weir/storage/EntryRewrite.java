package dev.weir.storage;

import java.nio.ByteBuffer;

/**
 * A stored entry, named by its offsets, to be replaced by {@code data} covering the same offsets
 * with fewer records (log compaction), or dropped when {@code data} is null.
 */
public record EntryRewrite(long baseOffset, long lastOffset, ByteBuffer data) {
}
