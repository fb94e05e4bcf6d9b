package dev.weir.storage;

import java.nio.ByteBuffer;

/**
 * The physical changes of one group commit, as the leader's sequencer made them in its write
 * transaction: a header (the proposer's token and the log index of the change record it was
 * computed on) followed by puts and deletes of LMDB keys and values. Replicas apply these bytes as
 * they are, so they hold the same offsets, attributes and indexes without re-running any condition.
 *
 * <p>Layout, big-endian: {@code long token, long basedOn}, then per change {@code byte kind, byte
 * table, int keyLength, key} and for a put {@code int valueLength, value}.
 */
final class ChangeRecord {
    static final int HEADER_BYTES = 16;
    static final byte PUT = 1;
    static final byte DELETE = 2;

    /** Table ids, in {@link ContainerEnv#table} order. */
    static final byte SEGMENTS = 0;
    static final byte ENTRIES = 1;
    static final byte TIME_INDEX = 2;
    static final byte ATTRIBUTES = 3;
    static final byte META = 4;

    private ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
    private int changes;

    /** Starts a record; the header is written by {@link #finish}. */
    void begin() {
        buffer.clear();
        buffer.position(HEADER_BYTES);
        changes = 0;
    }

    boolean isEmpty() {
        return changes == 0;
    }

    void put(byte table, ByteBuffer key, ByteBuffer value) {
        ensure(10 + key.remaining() + value.remaining());
        buffer.put(PUT).put(table).putInt(key.remaining()).put(key.duplicate());
        buffer.putInt(value.remaining()).put(value.duplicate());
        changes++;
    }

    void delete(byte table, ByteBuffer key) {
        ensure(6 + key.remaining());
        buffer.put(DELETE).put(table).putInt(key.remaining()).put(key.duplicate());
        changes++;
    }

    /** The finished record's bytes. */
    byte[] finish(long token, long basedOn) {
        buffer.putLong(0, token).putLong(8, basedOn);
        byte[] bytes = new byte[buffer.position()];
        buffer.get(0, bytes);
        return bytes;
    }

    private void ensure(int more) {
        if (buffer.remaining() < more) {
            long wanted = Math.max((long) buffer.capacity() * 2, (long) buffer.position() + more);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new StorageException("a group's change record would exceed 2 GiB");
            }
            ByteBuffer bigger = ByteBuffer.allocate((int) wanted);
            buffer.flip();
            bigger.put(buffer);
            buffer = bigger;
        }
    }

    static long token(ByteBuffer record) {
        return record.getLong(record.position());
    }

    static long basedOn(ByteBuffer record) {
        return record.getLong(record.position() + 8);
    }

    /** Receives the changes of a record in order; key and value are views valid during the call. */
    interface Visitor {
        void put(byte table, ByteBuffer key, ByteBuffer value);

        void delete(byte table, ByteBuffer key);
    }

    static void forEach(ByteBuffer record, Visitor visitor) {
        ByteBuffer in = record.duplicate();
        in.position(in.position() + HEADER_BYTES);
        while (in.hasRemaining()) {
            byte kind = in.get();
            byte table = in.get();
            ByteBuffer key = slice(in, in.getInt());
            if (kind == PUT) {
                visitor.put(table, key, slice(in, in.getInt()));
            } else if (kind == DELETE) {
                visitor.delete(table, key);
            } else {
                throw new StorageException("corrupt change record: unknown change kind " + kind);
            }
        }
    }

    private static ByteBuffer slice(ByteBuffer in, int length) {
        if (length < 0 || length > in.remaining()) {
            throw new StorageException("corrupt change record: length " + length + " with " + in.remaining() + " left");
        }
        ByteBuffer s = in.slice(in.position(), length);
        in.position(in.position() + length);
        return s;
    }
}
