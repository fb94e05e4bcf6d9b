package dev.weir.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How a container lays segments out in LMDB. Every key is big-endian so LMDB's byte-wise order
 * is numeric order:
 * <ul>
 *   <li>{@code segments}: segment name (UTF-8) → {@link SegmentMetadata}</li>
 *   <li>{@code entries}: (segment id, last offset) → (base offset, max timestamp, bytes); keying
 *       by the last offset makes a range seek at (id, o) land on the entry containing o</li>
 *   <li>{@code timeindex}: (segment id, running max timestamp, sign bit flipped) → base offset of
 *       the entry that raised the running maximum</li>
 *   <li>{@code attributes}: (segment id, attribute id) → value</li>
 *   <li>{@code meta}: container counters (next segment id, format version)</li>
 * </ul>
 */
final class ContainerLayout {
    static final String SEGMENTS = "segments";
    static final String ENTRIES = "entries";
    static final String TIME_INDEX = "timeindex";
    static final String ATTRIBUTES = "attributes";
    static final String META = "meta";

    static final long FORMAT_VERSION = 1;
    static final String FORMAT_KEY = "format";
    static final String NEXT_SEGMENT_ID_KEY = "next-segment-id";
    static final String TICK_KEY = "tick";
    /** The log index of the last change record a replicated container applied. */
    static final String APPLIED_INDEX_KEY = "applied-index";

    /** Entry value header: base offset, max timestamp. */
    static final int ENTRY_HEADER_BYTES = 16;
    /** LMDB's default maximum key size; segment names must fit. */
    static final int MAX_NAME_BYTES = 511;

    private static final ThreadLocal<Scratch> READER_SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private ContainerLayout() {
    }

    static ByteBuffer pairKey(ByteBuffer dst, long segmentId, long second) {
        dst.clear();
        dst.putLong(0, segmentId).putLong(8, second);
        dst.limit(16);
        return dst;
    }

    static long segmentIdOf(ByteBuffer key) {
        return key.getLong(key.position());
    }

    static long secondOf(ByteBuffer key) {
        return key.getLong(key.position() + 8);
    }

    /** Flips the sign bit so that signed timestamps sort correctly as unsigned bytes. */
    static long sortableTimestamp(long timestamp) {
        return timestamp ^ Long.MIN_VALUE;
    }

    static ByteBuffer longValue(ByteBuffer dst, long value) {
        dst.clear();
        dst.putLong(0, value);
        dst.limit(8);
        return dst;
    }

    static byte[] nameBytes(String segment) {
        return segment.getBytes(StandardCharsets.UTF_8);
    }

    static boolean isValidName(String segment) {
        if (segment.isEmpty()) {
            return false;
        }
        return nameBytes(segment).length <= MAX_NAME_BYTES;
    }

    /** @return the name as an LMDB key, or null if no segment can have this name */
    static ByteBuffer nameKey(ByteBuffer dst, String segment) {
        byte[] bytes = nameBytes(segment);
        if (bytes.length == 0 || bytes.length > dst.capacity()) {
            return null;
        }
        dst.clear();
        dst.put(bytes).flip();
        return dst;
    }

    static ByteBuffer asciiKey(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    static String nameOf(ByteBuffer key) {
        return StandardCharsets.UTF_8.decode(key.duplicate()).toString();
    }

    /** Direct key buffers for the calling reader thread (LMDB keys must be off-heap). */
    static Scratch readerScratch() {
        return READER_SCRATCH.get();
    }

    static final class Scratch {
        final ByteBuffer pair = ByteBuffer.allocateDirect(16);
        final ByteBuffer name = ByteBuffer.allocateDirect(MAX_NAME_BYTES);
    }
}
