package dev.weir.gateway.producer;

import dev.weir.storage.AppendCondition;
import dev.weir.storage.AppendResult;
import dev.weir.storage.AttributeUpdate;
import dev.weir.storage.Attributes;
import dev.weir.storage.ConditionFailedException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka's idempotent-producer check of one batch, Pravega's way: the producer's epoch and last
 * sequence, and the offsets of its last five batches, are attributes of the partition's segment,
 * checked and updated by the store's sequencer in the same commit as the batch. So a retried batch
 * is recognised even when up to five are in flight, and answered with its original offset.
 *
 * <p>Kafka's rules: an older epoch is fenced (INVALID_PRODUCER_EPOCH); a newer epoch must start at
 * sequence 0; within an epoch each batch continues the last sequence (wrapping after 2^31-1), an
 * exact repeat of one of the last five batches is a duplicate, anything else is
 * OUT_OF_ORDER_SEQUENCE_NUMBER; a producer the partition does not know (never seen, or idle longer
 * than {@code producer.id.expiration.ms}) may start anywhere.
 */
public final class ProducerStateCheck implements AppendCondition {
    /** Attribute ids of producer state: this bit, then the producer id, then a 4-bit slot. */
    private static final long NAMESPACE = 0x4000_0000_0000_0000L;
    private static final long PRODUCER_ID_MASK = (1L << 58) - 1;
    private static final int STATE = 0;
    private static final int RETAINED_BATCHES = 5;
    private static final int LAST_WRITE = 1 + 2 * RETAINED_BATCHES;

    private final long producerId;
    private final short epoch;
    private final int firstSequence;
    private final int lastSequence;
    private final long now;
    private final long expirationMs;
    private final String partition;
    private final boolean transactional;
    private final LongConsumer onTransactionStart;

    /**
     * {@code onTransactionStart} (for transactional batches) is told the offset of the producer's first
     * batch in the partition's open transaction, on the sequencer, before the commit makes the batch
     * visible to any reader: the last stable offset must hold it back from the moment it can be read.
     * Should the commit then fail, it is held back by a transaction that wrote nothing here, until that
     * transaction's marker ends it: a reader waits longer, never reads an undecided record.
     */
    public ProducerStateCheck(String partition, long producerId, short epoch, int firstSequence, int lastSequence,
                              boolean transactional, LongConsumer onTransactionStart, long now, long expirationMs) {
        this.partition = partition;
        this.transactional = transactional;
        this.onTransactionStart = onTransactionStart;
        this.producerId = producerId;
        this.epoch = epoch;
        this.firstSequence = firstSequence;
        this.lastSequence = lastSequence;
        this.now = now;
        this.expirationMs = expirationMs;
    }

    /** One producer a partition knows: its epoch, last sequence and last write (DescribeProducers). */
    public record KnownProducer(long producerId, int epoch, int lastSequence, long lastWriteMs) {
    }

    /** The producers whose state a partition keeps, from the attributes in the producer namespace. */
    static List<KnownProducer> known(java.util.SortedMap<Long, Long> attributes) {
        List<KnownProducer> out = new ArrayList<>();
        attributes.forEach((id, value) -> {
            if ((id & 0xf) == STATE) {
                long producerId = (id & ~NAMESPACE) >>> 4;
                Long lastWrite = attributes.get(attribute(producerId, LAST_WRITE));
                out.add(new KnownProducer(producerId, knownEpoch(value), (int) value.longValue(),
                        lastWrite == null ? -1 : lastWrite));
            }
        });
        return out;
    }

    /** Attribute ids of every producer's state: [first, last). */
    static long firstAttribute() {
        return NAMESPACE;
    }

    static long endAttribute() {
        return Long.MAX_VALUE;
    }

    /** The producer's epoch as the partition knows it, or -1. */
    static int knownEpoch(long state) {
        return state == Attributes.NULL_VALUE ? -1 : (short) ((state >>> 32) & 0xffff);
    }

    static long attribute(long producerId, int slot) {
        return NAMESPACE | ((producerId & PRODUCER_ID_MASK) << 4) | slot;
    }

    /** The attributes a producer's state occupies on a partition. */
    public static long[] attributes(long producerId) {
        long[] ids = new long[LAST_WRITE + 1];
        for (int slot = 0; slot <= LAST_WRITE; slot++) {
            ids[slot] = attribute(producerId, slot);
        }
        return ids;
    }

    /**
     * The state attribute: last sequence (bits 0-31), epoch (32-47), and the ring of retained
     * batches: the slot of the newest (48-51) and how many are retained (52-55).
     */
    static long state(short epoch, int sequence, int ringHead, int ringCount) {
        return ((long) ringCount << 52) | ((long) ringHead << 48) | ((long) (epoch & 0xffff) << 32)
                | (sequence & 0xffffffffL);
    }

    /** A state of a new epoch: no batch retained yet, so the next batch must start the sequence anew. */
    static long newEpoch(short epoch) {
        return state(epoch, -1, 0, 0);
    }

    private static int ringHead(long state) {
        return (int) ((state >>> 48) & 0xf);
    }

    private static int ringCount(long state) {
        return (int) ((state >>> 52) & 0xf);
    }

    static long sequences(int first, int last) {
        return ((long) first << 32) | (last & 0xffffffffL);
    }

    @Override
    public long[] reads() {
        long[] ids = java.util.Arrays.copyOf(attributes(producerId), LAST_WRITE + 2);
        ids[LAST_WRITE + 1] = PartitionTransactions.openTransactionAttribute(producerId);
        return ids;
    }

    @Override
    public Decision decide(long[] current, long nextOffset) {
        long state = current[STATE];
        boolean idle = current[LAST_WRITE] != Attributes.NULL_VALUE && now - current[LAST_WRITE] > expirationMs;
        int head = 0;
        int count = 0;
        if (state != Attributes.NULL_VALUE && !idle) {
            short knownEpoch = (short) knownEpoch(state);
            int knownSequence = (int) state;
            if (epoch < knownEpoch) {
                throw reject(Errors.INVALID_PRODUCER_EPOCH, "Epoch of producer " + producerId + " at offset "
                        + nextOffset + " in " + partition + " is " + epoch + ", which is smaller than the last seen epoch "
                        + knownEpoch);
            }
            if (epoch == knownEpoch) {
                head = ringHead(state);
                count = ringCount(state);
                for (int i = 0; i < count; i++) {
                    int slot = (head - i + RETAINED_BATCHES) % RETAINED_BATCHES;
                    if (current[1 + 2 * slot] == sequences(firstSequence, lastSequence)) {
                        return new Skip(new AppendResult(current[2 + 2 * slot], nextOffset, -1, -1));
                    }
                }
                int expected = knownSequence == Integer.MAX_VALUE ? 0 : knownSequence + 1;
                if (firstSequence != expected) {
                    throw reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "Out of order sequence number for producer "
                            + producerId + " at offset " + nextOffset + " in " + partition + ": " + firstSequence
                            + " (incoming seq. number), " + knownSequence + " (current end sequence number)");
                }
            } else if (firstSequence != 0) {
                throw reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "Invalid sequence number for new epoch of producer "
                        + producerId + " at offset " + nextOffset + " in " + partition + ": " + epoch
                        + " (request epoch), " + firstSequence + " (seq. number), " + knownSequence
                        + " (current end sequence number)");
            }
        }
        // The retained batches are a ring of five slots; only the new batch's slot is written.
        int newHead = count == 0 ? 0 : (head + 1) % RETAINED_BATCHES;
        int newCount = Math.min(count + 1, RETAINED_BATCHES);
        List<AttributeUpdate> updates = new ArrayList<>(5);
        updates.add(AttributeUpdate.replace(attribute(producerId, STATE), state(epoch, lastSequence, newHead, newCount)));
        updates.add(AttributeUpdate.replace(attribute(producerId, 1 + 2 * newHead), sequences(firstSequence, lastSequence)));
        updates.add(AttributeUpdate.replace(attribute(producerId, 2 + 2 * newHead), nextOffset));
        updates.add(AttributeUpdate.replace(attribute(producerId, LAST_WRITE), now));
        if (transactional && current[LAST_WRITE + 1] == Attributes.NULL_VALUE) {
            // The producer's first batch in this partition's open transaction: it holds the last stable offset back.
            updates.add(AttributeUpdate.replace(PartitionTransactions.openTransactionAttribute(producerId), nextOffset));
            if (onTransactionStart != null) {
                onTransactionStart.accept(nextOffset);
            }
        }
        return new Proceed(updates);
    }

    private static ConditionFailedException reject(Errors error, String message) {
        return new ConditionFailedException(message, error);
    }
}
