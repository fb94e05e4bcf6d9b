package dev.weir.gateway.producer;

import dev.weir.gateway.api.RejectedRecords;
import dev.weir.storage.AppendCondition;
import dev.weir.storage.AttributeUpdate;
import dev.weir.storage.Attributes;
import dev.weir.storage.ConditionFailedException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;

/**
 * The keyed map of a compacted topic (Pravega's table segments): every keyed record leaves the
 * offset of its key's latest record in a segment attribute (a tombstone's offset is kept negated: the
 * key is absent, yet the log cleaner knows which tombstone is the latest), and a record
 * with header {@code weir.expect-key-offset} is appended only if its key's latest offset is the
 * expected one ({@code -1}: the key is absent). Checked and updated by the sequencer in the batch's
 * commit, so it is a per-key compare-and-set; a batch is appended whole or not at all, and a refused batch
 * names each record whose expectation failed.
 */
public final class KeyOffsetCheck implements AppendCondition {
    /** Attribute ids of key offsets: this bit, then 59 bits of the key's hash. */
    private static final long NAMESPACE = 0x0800_0000_0000_0000L;
    private static final long HASH_MASK = NAMESPACE - 1;

    /** One keyed record of the batch: its key's hash, offset delta, whether it deletes, and what it expects. */
    public record KeyedRecord(long keyHash, int offsetDelta, boolean tombstone, Long expectedOffset, String keyText) {
    }

    private final String partition;
    private final List<KeyedRecord> records;

    public KeyOffsetCheck(String partition, List<KeyedRecord> records) {
        this.partition = partition;
        this.records = List.copyOf(records);
    }

    /** A 64-bit FNV-1a hash of the key bytes. */
    public static long hash(byte[] key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    public static long attribute(long keyHash) {
        return NAMESPACE | (keyHash & HASH_MASK);
    }

    private static long tombstoneAt(long offset) {
        return -(offset + 2);
    }

    /** The offset of the key's latest record (a tombstone's too) from its attribute value, or -1. */
    public static long latestOffset(long value) {
        if (value == Attributes.NULL_VALUE) {
            return -1;
        }
        return value >= 0 ? value : -value - 2;
    }

    @Override
    public long[] reads() {
        long[] ids = new long[records.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = attribute(records.get(i).keyHash());
        }
        return ids;
    }

    @Override
    public Decision decide(long[] current, long nextOffset) {
        // Later records of the batch see the offsets earlier ones leave.
        java.util.Map<Long, Long> latest = new java.util.HashMap<>();
        List<AttributeUpdate> updates = new ArrayList<>(records.size());
        List<RejectedRecords.Rejected> conflicts = new ArrayList<>(0);
        for (int i = 0; i < records.size(); i++) {
            KeyedRecord r = records.get(i);
            long id = attribute(r.keyHash());
            long known = latest.containsKey(id) ? latest.get(id) : current[i];
            if (r.expectedOffset() != null) {
                long actual = known == Attributes.NULL_VALUE || known < 0 ? -1 : known;
                if (actual != r.expectedOffset()) {
                    // Every record whose expectation fails is named; later ones are judged as if the batch landed.
                    conflicts.add(new RejectedRecords.Rejected(r.offsetDelta(), Errors.INVALID_RECORD,
                            "weir.expect-key-offset " + r.expectedOffset() + " for key '" + r.keyText()
                                    + "' does not match the key's latest offset " + actual + " in " + partition));
                }
            }
            long offset = nextOffset + r.offsetDelta();
            // A tombstone leaves the key absent, but the cleaner must still know it is the key's latest record.
            long value = r.tombstone() ? tombstoneAt(offset) : offset;
            latest.put(id, value);
            updates.add(AttributeUpdate.replace(id, value));
        }
        if (!conflicts.isEmpty()) {
            RejectedRecords rejected = new RejectedRecords(conflicts);
            throw new ConditionFailedException(rejected.message(), rejected);
        }
        return new Proceed(updates);
    }
}
