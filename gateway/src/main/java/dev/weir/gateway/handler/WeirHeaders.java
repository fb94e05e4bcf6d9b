package dev.weir.gateway.handler;

import java.nio.charset.StandardCharsets;
import dev.weir.gateway.producer.KeyOffsetCheck;
import java.util.OptionalLong;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.internal.Record;

/**
 * Weir's own record headers, the public contract of ARCHITECTURE.md: values are ASCII decimal
 * strings, so they can be typed on a command line ({@code kcat -H weir.expect-offset=42}).
 * Headers are read, never removed: the batch is stored as produced.
 */
final class WeirHeaders {
    /** On the first record of a batch: append the batch only at this next offset (a compare-and-set). */
    static final String EXPECT_OFFSET = "weir.expect-offset";
    /** On a record of a compacted topic: append only if its key's latest record is at this offset (-1: none). */
    static final String EXPECT_KEY_OFFSET = "weir.expect-key-offset";

    /** On any record: its writer notes event time (epoch ms); its later records on the topic carry times at or after it. */
    static final String NOTE_TIME = "weir.note-time";
    /** Beside weir.note-time: a stable name for the writer; without it, the request's client.id names it. */
    static final String WRITER = "weir.writer";

    private WeirHeaders() {
    }

    /** Folds one record's time-watermark headers into what the batch notes so far. */
    static TimeNote noteTime(Record r, TimeNote sofar) {
        TimeNote note = sofar;
        String writer = null;
        for (Header h : r.headers()) {
            if (NOTE_TIME.equals(h.key())) {
                String text = h.value() == null ? "" : new String(h.value(), StandardCharsets.US_ASCII);
                if (!text.matches("-?[0-9]{1,18}")) {
                    throw new InvalidRecordException("Header " + NOTE_TIME + " must be a time in epoch milliseconds, "
                            + "in ASCII decimal digits, not '" + text + "'");
                }
                long time = Long.parseLong(text);
                note = new TimeNote(note == null ? time : Math.max(note.time(), time), note == null ? null : note.writer());
            } else if (WRITER.equals(h.key()) && h.value() != null) {
                writer = new String(h.value(), StandardCharsets.UTF_8);
            }
        }
        return writer != null && note != null ? new TimeNote(note.time(), writer) : note;
    }

    /** The latest time a batch notes, and the writer it names (null: the request's client.id). */
    record TimeNote(long time, String writer) {
    }

    /** The expected next offset a batch's first record carries, if any; a malformed value is an invalid record. */
    static OptionalLong expectedOffset(Record first) {
        for (Header h : first.headers()) {
            if (EXPECT_OFFSET.equals(h.key())) {
                return OptionalLong.of(parseOffset(h));
            }
        }
        return OptionalLong.empty();
    }

    /** A record of a compacted topic as the keyed map (KeyOffsetCheck) sees it. */
    static KeyOffsetCheck.KeyedRecord keyed(Record r, long batchBaseOffset) {
        byte[] key = new byte[Math.max(0, r.keySize())];
        if (r.hasKey()) {
            r.key().duplicate().get(key);
        }
        Long expected = null;
        for (Header h : r.headers()) {
            if (EXPECT_KEY_OFFSET.equals(h.key())) {
                String text = h.value() == null ? "" : new String(h.value(), StandardCharsets.US_ASCII);
                expected = text.equals("-1") ? -1L : parseOffset(h);
            }
        }
        return new KeyOffsetCheck.KeyedRecord(KeyOffsetCheck.hash(key), (int) (r.offset() - batchBaseOffset),
                !r.hasValue(), expected, new String(key, StandardCharsets.UTF_8));
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
