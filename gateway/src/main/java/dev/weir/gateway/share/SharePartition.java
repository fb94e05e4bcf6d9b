package dev.weir.gateway.share;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One share-partition (a share group's view of one topic partition, KIP-932): the in-flight window
 * from the share-partition start offset (SPSO) to its end, each offset's state (available,
 * acquired, acknowledged, archived), its delivery count and, while acquired, its owner and lock
 * deadline. Offsets below the start are done (acknowledged or archived); offsets beyond the end
 * were never delivered.
 *
 * <p>Pure logic: not thread-safe, callers hold its monitor. The durable form is {@link #write}: the
 * start and the window's states with delivery counts, where an acquired offset is written as
 * available (a lock does not outlive the broker; its delivery is counted).
 */
final class SharePartition {
    /** Kafka's RecordState ids, which DescribeShareGroupOffsets and the persister use. */
    static final byte AVAILABLE = 0;
    static final byte ACQUIRED = 1;
    static final byte ACKNOWLEDGED = 2;
    static final byte ARCHIVED = 4;

    /** Kafka's AcknowledgeType ids. */
    static final byte GAP = 0;
    static final byte ACCEPT = 1;
    static final byte RELEASE = 2;
    static final byte REJECT = 3;
    static final byte RENEW = 4;

    /** A range of offsets handed to a consumer, all with the same delivery count. */
    record Acquired(long firstOffset, long lastOffset, short deliveryCount) {
    }

    /** A stored batch as the fetch sees it: its offsets, and whether its records are never delivered. */
    record Batch(long baseOffset, long lastOffset, boolean skip) {
    }

    private long start;
    private int size;
    private byte[] states = new byte[64];
    private short[] counts = new short[64];
    private String[] owners = new String[64];
    private long[] deadlines = new long[64];

    SharePartition(long startOffset) {
        this.start = startOffset;
    }

    long startOffset() {
        return start;
    }

    /** The offset after the window: where records never fetched begin. */
    long endOffset() {
        return start + size;
    }

    /** Offsets in the window that are not yet done (available or acquired). */
    int inFlight() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (states[i] == AVAILABLE || states[i] == ACQUIRED) {
                n++;
            }
        }
        return n;
    }

    /** Where the next fetch reads from: the first available offset, or the window's end. */
    long nextFetchOffset() {
        for (int i = 0; i < size; i++) {
            if (states[i] == AVAILABLE) {
                return start + i;
            }
        }
        return start + size;
    }

    /** Whether anything could be acquired now (an available record, or room for new ones). */
    boolean canAcquire(int maxInFlight) {
        return nextFetchOffset() < endOffset() || inFlight() < maxInFlight;
    }

    byte state(long offset) {
        if (offset < start) {
            return ARCHIVED;
        }
        return offset - start < size ? states[(int) (offset - start)] : AVAILABLE;
    }

    short deliveryCount(long offset) {
        return offset >= start && offset - start < size ? counts[(int) (offset - start)] : 0;
    }

    /**
     * Acquires for {@code member}, until {@code deadline}, the available offsets of the fetched
     * batches at or after {@code fetchOffset}: whole batches, until {@code maxRecords} are taken or the
     * window holds {@code maxInFlight} undone offsets. Offsets between batches (removed by compaction)
     * and those of skipped batches (control records, aborted transactions) are archived, never delivered.
     */
    List<Acquired> acquire(String member, long fetchOffset, List<Batch> batches, int maxRecords, int maxInFlight,
                           long deadline, boolean strict) {
        List<Acquired> out = new ArrayList<>();
        int taken = 0;
        for (Batch b : batches) {
            if (b.lastOffset() < Math.max(fetchOffset, start)) {
                continue;
            }
            if (taken >= maxRecords) {
                break;
            }
            long end = endOffset();
            if (b.baseOffset() > end) {
                // A gap in the log: nothing to deliver there.
                grow(b.baseOffset());
                for (long o = end; o < b.baseOffset(); o++) {
                    states[(int) (o - start)] = ARCHIVED;
                }
            }
            if (b.lastOffset() >= endOffset() && inFlight() >= maxInFlight && !b.skip()) {
                // New records wait until the window has room (offsets already inside may still be taken).
                if (b.baseOffset() >= endOffset()) {
                    break;
                }
            }
            long from = Math.max(b.baseOffset(), start);
            if (b.lastOffset() >= endOffset()) {
                long oldEnd = endOffset();
                grow(b.lastOffset() + 1);
                for (long o = oldEnd; o <= b.lastOffset(); o++) {
                    int i = (int) (o - start);
                    states[i] = b.skip() ? ARCHIVED : AVAILABLE;
                }
            }
            if (b.skip()) {
                continue;
            }
            for (long o = from; o <= b.lastOffset(); o++) {
                int i = (int) (o - start);
                if (states[i] != AVAILABLE) {
                    continue;
                }
                if (strict && taken >= maxRecords) {
                    break; // record-limit mode: exactly the records asked for, even within a batch
                }
                states[i] = ACQUIRED;
                counts[i]++;
                owners[i] = member;
                deadlines[i] = deadline;
                taken++;
                Acquired last = out.isEmpty() ? null : out.get(out.size() - 1);
                if (last != null && last.lastOffset() == o - 1 && last.deliveryCount() == counts[i]) {
                    out.set(out.size() - 1, new Acquired(last.firstOffset(), o, counts[i]));
                } else {
                    out.add(new Acquired(o, o, counts[i]));
                }
            }
        }
        advance();
        return out;
    }

    /** How a partition's acknowledgements went, as Kafka tells it. */
    enum AckResult { DONE, INVALID_RECORD_STATE, INVALID_REQUEST }

    /**
     * Applies a partition's acknowledgement batches of {@code member}, each as (first, last) with one
     * type for the whole range or one per offset. As Kafka: offsets below the start are done and
     * skipped; a batch past the window or with an unknown type is an invalid request; an offset not
     * acquired by the member is an invalid record state. All or nothing.
     */
    AckResult acknowledgeAll(String member, List<long[]> ranges, List<byte[]> types, int deliveryLimit,
                             long renewedDeadline) {
        for (int b = 0; b < ranges.size(); b++) {
            long first = ranges.get(b)[0];
            long last = ranges.get(b)[1];
            byte[] t = types.get(b);
            if (first > last || t.length == 0 || (t.length != 1 && t.length != last - first + 1)) {
                return AckResult.INVALID_REQUEST;
            }
            if (last >= start && (first >= endOffset() || last >= endOffset())) {
                return AckResult.INVALID_REQUEST;
            }
            for (long o = Math.max(first, start); o <= last; o++) {
                byte type = t.length == 1 ? t[0] : t[(int) (o - first)];
                if (type < GAP || type > RENEW) {
                    return AckResult.INVALID_REQUEST;
                }
                int i = (int) (o - start);
                if (states[i] != ACQUIRED || !member.equals(owners[i])) {
                    return AckResult.INVALID_RECORD_STATE;
                }
            }
        }
        for (int b = 0; b < ranges.size(); b++) {
            long first = ranges.get(b)[0];
            long last = ranges.get(b)[1];
            byte[] t = types.get(b);
            for (long o = Math.max(first, start); o <= last; o++) {
                byte type = t.length == 1 ? t[0] : t[(int) (o - first)];
                int i = (int) (o - start);
                switch (type) {
                    case ACCEPT -> finish(i, ACKNOWLEDGED);
                    case RELEASE -> release(i, deliveryLimit);
                    case RENEW -> deadlines[i] = renewedDeadline;
                    default -> finish(i, ARCHIVED); // GAP, REJECT
                }
            }
        }
        // Offsets are checked against the window as it was: advancing only after all batches keeps indexes valid.
        advance();
        return AckResult.DONE;
    }

    /** Releases every acquired offset whose lock ran out by {@code now}; whether any was. */
    boolean releaseExpired(long now, int deliveryLimit) {
        boolean changed = false;
        for (int i = 0; i < size; i++) {
            if (states[i] == ACQUIRED && deadlines[i] <= now) {
                release(i, deliveryLimit);
                changed = true;
            }
        }
        advance();
        return changed;
    }

    /** Releases what {@code member} holds (its session ended); whether it held anything. */
    boolean releaseMember(String member, int deliveryLimit) {
        boolean changed = false;
        for (int i = 0; i < size; i++) {
            if (states[i] == ACQUIRED && member.equals(owners[i])) {
                release(i, deliveryLimit);
                changed = true;
            }
        }
        advance();
        return changed;
    }

    /** The earliest lock deadline among acquired offsets, or Long.MAX_VALUE. */
    long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            if (states[i] == ACQUIRED) {
                next = Math.min(next, deadlines[i]);
            }
        }
        return next;
    }

    /** Moves the start to {@code offset} (the log's start moved, or an admin reset): before it nothing is delivered. */
    void moveStart(long offset) {
        if (offset <= start) {
            if (offset < start) {
                // A reset to earlier offsets: the window is rebuilt from there.
                start = offset;
                size = 0;
            }
            return;
        }
        long drop = Math.min(size, offset - start);
        shift((int) drop);
        start = offset;
    }

    /** Whether any offset is acquired (an admin reset requires none; Kafka requires an empty group). */
    boolean anyAcquired() {
        for (int i = 0; i < size; i++) {
            if (states[i] == ACQUIRED) {
                return true;
            }
        }
        return false;
    }

    private void release(int i, int deliveryLimit) {
        owners[i] = null;
        states[i] = counts[i] >= deliveryLimit ? ARCHIVED : AVAILABLE;
    }

    private void finish(int i, byte state) {
        owners[i] = null;
        states[i] = state;
    }

    /** Drops the done offsets at the start of the window: the SPSO moves past them. */
    private void advance() {
        int done = 0;
        while (done < size && (states[done] == ACKNOWLEDGED || states[done] == ARCHIVED)) {
            done++;
        }
        if (done > 0) {
            shift(done);
            start += done;
        }
    }

    private void shift(int n) {
        System.arraycopy(states, n, states, 0, size - n);
        System.arraycopy(counts, n, counts, 0, size - n);
        System.arraycopy(owners, n, owners, 0, size - n);
        System.arraycopy(deadlines, n, deadlines, 0, size - n);
        Arrays.fill(owners, size - n, size, null);
        size -= n;
    }

    /** Extends the window to end at {@code newEnd} (exclusive); new offsets are available, never delivered. */
    private void grow(long newEnd) {
        int newSize = (int) (newEnd - start);
        if (newSize <= size) {
            return;
        }
        if (newSize > states.length) {
            int capacity = Math.max(newSize, states.length * 2);
            states = Arrays.copyOf(states, capacity);
            counts = Arrays.copyOf(counts, capacity);
            owners = Arrays.copyOf(owners, capacity);
            deadlines = Arrays.copyOf(deadlines, capacity);
        }
        for (int i = size; i < newSize; i++) {
            states[i] = AVAILABLE;
            counts[i] = 0;
            owners[i] = null;
            deadlines[i] = 0;
        }
        size = newSize;
    }

    // ---------------------------------------------------------------- durable form

    /** The state as runs of equal (state, delivery count); acquired is written as available. */
    void write(DataOutputStream out) throws IOException {
        out.writeLong(start);
        List<long[]> runs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            byte s = states[i] == ACQUIRED ? AVAILABLE : states[i];
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[1] == s && last[2] == counts[i]) {
                last[0]++;
            } else {
                runs.add(new long[] {1, s, counts[i]});
            }
        }
        out.writeInt(runs.size());
        for (long[] r : runs) {
            out.writeInt((int) r[0]);
            out.writeByte((int) r[1]);
            out.writeShort((int) r[2]);
        }
    }

    /** Reads {@link #write}'s form; offsets delivered {@code deliveryLimit} times and not done are archived. */
    static SharePartition read(DataInputStream in, int deliveryLimit) throws IOException {
        SharePartition p = new SharePartition(in.readLong());
        int runs = in.readInt();
        for (int r = 0; r < runs; r++) {
            int n = in.readInt();
            byte s = in.readByte();
            short c = in.readShort();
            int from = p.size;
            p.grow(p.endOffset() + n);
            for (int i = from; i < from + n; i++) {
                p.states[i] = s == AVAILABLE && c >= deliveryLimit ? ARCHIVED : s;
                p.counts[i] = c;
            }
        }
        p.advance();
        return p;
    }

    /** The window's runs as (first offset, last offset, state, delivery count), for describing it. */
    List<long[]> runs() {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[2] == states[i] && last[3] == counts[i]) {
                last[1] = start + i;
            } else {
                out.add(new long[] {start + i, start + i, states[i], counts[i]});
            }
        }
        return out;
    }
}
