package dev.weir.gateway.handler;

import dev.weir.storage.StoredEntry;
import java.util.function.LongPredicate;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/** Finds a record inside a stored batch by its timestamp. */
final class RecordLookup {
    private RecordLookup() {
    }

    /** Offset and timestamp of a record. */
    record Found(long offset, long timestamp) {
    }

    /** The first record at or after {@code minOffset} whose timestamp matches. */
    static Found first(StoredEntry entry, long minOffset, LongPredicate timestampMatches) {
        for (RecordBatch batch : MemoryRecords.readableRecords(entry.data().duplicate()).batches()) {
            for (Record r : batch) {
                if (r.offset() >= minOffset && timestampMatches.test(r.timestamp())) {
                    return new Found(r.offset(), r.timestamp());
                }
            }
        }
        return null;
    }
}
