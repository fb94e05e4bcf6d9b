package dev.weir.gateway.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weir.storage.ConditionFailedException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/** Kafka's idempotent-producer rules, applied to attribute values as the sequencer would. */
class ProducerStateCheckTest {
    private static final long PID = 7;
    private static final long EXPIRY = 60_000;

    private final SequencerStub partition = new SequencerStub();
    private long now = 1_000_000;

    /** Offers a batch of {@code count} records; returns its base offset (the original one for a duplicate). */
    private long send(int epoch, int firstSeq, int count) {
        int lastSeq = (int) (((long) firstSeq + count - 1) % (1L + Integer.MAX_VALUE));
        ProducerStateCheck check = new ProducerStateCheck("t-0", PID, (short) epoch, firstSeq, lastSeq, false, null, now, EXPIRY);
        return partition.append(check, count);
    }

    private Errors rejection(int epoch, int firstSeq, int count) {
        ConditionFailedException e = assertThrows(ConditionFailedException.class, () -> send(epoch, firstSeq, count));
        return assertInstanceOf(Errors.class, e.reason());
    }

    @Test
    void aRetriedBatchAmongTheLastFiveIsAnsweredWithItsOriginalOffset() {
        for (int i = 0; i < 6; i++) {
            assertEquals(i * 10L, send(0, i * 10, 10));
        }
        assertEquals(10, send(0, 10, 10), "the second batch again");
        assertEquals(50, send(0, 50, 10), "the last batch again");
        assertEquals(60, partition.nextOffset, "duplicates add nothing");
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, rejection(0, 0, 10), "older than the last five");
    }

    @Test
    void aGapInTheSequenceIsOutOfOrder() {
        send(0, 0, 5);
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, rejection(0, 6, 1));
        assertEquals(5, send(0, 5, 1));
    }

    @Test
    void anOlderEpochIsFencedAndANewerOneStartsAtZero() {
        send(3, 0, 5);
        assertEquals(Errors.INVALID_PRODUCER_EPOCH, rejection(2, 5, 1));
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, rejection(4, 5, 1));
        assertEquals(5, send(4, 0, 1));
        assertEquals(Errors.INVALID_PRODUCER_EPOCH, rejection(3, 5, 1), "the old epoch is fenced now");
    }

    @Test
    void sequencesWrapAfterTheLargestInt() {
        send(0, Integer.MAX_VALUE - 1, 2);
        assertEquals(2, send(0, 0, 3), "the next sequence after 2^31-1 is 0");
    }

    @Test
    void anUnknownOrIdleProducerMayStartAnywhere() {
        assertEquals(0, send(0, 1234, 1));
        now += EXPIRY + 1;
        assertEquals(1, send(0, 99, 1), "idle longer than producer.id.expiration.ms: forgotten");
    }
}
