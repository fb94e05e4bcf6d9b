package dev.weir.storage;

import java.nio.ByteBuffer;

/** An entry as read back: its offsets, its max timestamp and its stored bytes (read-only). */
public record StoredEntry(long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data) {
}
