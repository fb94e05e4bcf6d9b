package dev.weir.gateway.handler;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Weir's own record headers, the public contract of ARCHITECTURE.md: values are ASCII decimal
 * strings, so they can be typed on a command line ({@code kcat -H weir.expect-offset=42}).
 * Headers are read, never removed: the batch is stored as produced.
 */
final class WeirHeaders {
    /** On the first record of a batch: append the batch only at this next offset (a compare-and-set). */
    static final String EXPECT_OFFSET = "weir.expect-offset";

    private WeirHeaders() {
    }

    /** The batch's expected offset, if its first record carries one; a malformed value is an invalid record. */
    static OptionalLong expectedOffset(RecordBatch batch) {
        try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            if (!records.hasNext()) {
                return OptionalLong.empty();
            }
            for (Header h : records.next().headers()) {
                if (EXPECT_OFFSET.equals(h.key())) {
                    return OptionalLong.of(parseOffset(h));
                }
            }
            return OptionalLong.empty();
        }
    }

    private static long parseOffset(Header h) {
        String text = h.value() == null ? "" : new String(h.value(), StandardCharsets.US_ASCII);
        if (!text.matches("[0-9]{1,18}")) {
            throw new InvalidRecordException("Header " + h.key() + " must be an offset in ASCII decimal digits, not '"
                    + text + "'");
        }
        return Long.parseLong(text);
    }
}
