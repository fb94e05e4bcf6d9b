package dev.weir.gateway.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weir.storage.AppendCondition;
import dev.weir.storage.ConditionFailedException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keyed map's per-key compare-and-set, and conditions combined, applied as the sequencer would. */
class KeyOffsetCheckTest {
    private final SequencerStub partition = new SequencerStub();

    private static KeyOffsetCheck.KeyedRecord record(String key, int delta, boolean tombstone, Long expected) {
        return new KeyOffsetCheck.KeyedRecord(KeyOffsetCheck.hash(key.getBytes(StandardCharsets.UTF_8)), delta,
                tombstone, expected, key);
    }

    private long append(AppendCondition check, int records) {
        return partition.append(check, records);
    }

    @Test
    void laterRecordsOfABatchSeeTheOffsetsEarlierOnesLeave() {
        append(new KeyOffsetCheck("t-0", List.of(record("a", 0, false, -1L), record("a", 1, false, 0L))), 2);
        append(new KeyOffsetCheck("t-0", List.of(record("a", 0, false, 1L))), 1);
        ConditionFailedException e = assertThrows(ConditionFailedException.class,
                () -> append(new KeyOffsetCheck("t-0", List.of(record("b", 0, false, null), record("a", 1, false, 1L))), 2));
        assertEquals(3, partition.nextOffset, "a conflicting batch adds nothing, not even its unconditional records");
        assertEquals(new dev.weir.gateway.api.RejectedRecords(List.of(new dev.weir.gateway.api.RejectedRecords.Rejected(1,
                org.apache.kafka.common.protocol.Errors.INVALID_RECORD, "weir.expect-key-offset 1 for key 'a' does not "
                        + "match the key's latest offset 2 in t-0"))), e.reason(), "the record whose expectation failed");
    }

    @Test
    void aTombstoneMakesTheKeyAbsent() {
        append(new KeyOffsetCheck("t-0", List.of(record("a", 0, false, null))), 1);
        append(new KeyOffsetCheck("t-0", List.of(record("a", 0, true, 0L))), 1);
        assertEquals(2, append(new KeyOffsetCheck("t-0", List.of(record("a", 0, false, -1L))), 1));
    }

    @Test
    void aDuplicateBatchIsSkippedBeforeTheKeyedMapCouldRejectIt() {
        ProducerStateCheck first = new ProducerStateCheck("t-0", 1, (short) 0, 0, 0, false, null, 0, 60_000);
        append(AllConditions.of(first, new KeyOffsetCheck("t-0", List.of(record("a", 0, false, -1L)))), 1);
        ProducerStateCheck retry = new ProducerStateCheck("t-0", 1, (short) 0, 0, 0, false, null, 0, 60_000);
        assertEquals(0, append(AllConditions.of(retry, new KeyOffsetCheck("t-0", List.of(record("a", 0, false, -1L)))), 1),
                "the retry gets its original offset, not a conflict");
        assertInstanceOf(ProducerStateCheck.class, AllConditions.of(null, retry, null));
    }
}
