package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** findOffsetByTimestamp answers like Kafka's ListOffsets: the first entry whose max timestamp is at or after t. */
class TimeIndexTest {
    static final String SEG = "events/0";

    @TempDir
    Path dir;
    LmdbSegmentStore store;

    @BeforeEach
    void open() {
        store = LmdbSegmentStore.open(StoreFixture.options(dir));
        get(store.createSegment(SEG));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private long find(long timestamp) {
        return get(store.findOffsetByTimestamp(SEG, timestamp));
    }

    /** Appends entries of two records each with these max timestamps; entry i starts at offset 2i. */
    private void appendWithTimestamps(long... timestamps) {
        for (long t : timestamps) {
            get(store.append(SEG, Append.of(entry("t" + t, 2, t))));
        }
    }

    @Test
    void anEmptySegmentHasNoOffsetForAnyTime() {
        assertEquals(-1, find(0));
        assertEquals(-1, find(Long.MIN_VALUE));
    }

    @Test
    void monotoneTimestampsFindTheFirstEntryAtOrAfterTheTime() {
        appendWithTimestamps(100, 200, 300);

        assertEquals(0, find(50));
        assertEquals(0, find(100));
        assertEquals(2, find(101));
        assertEquals(2, find(200));
        assertEquals(4, find(300));
        assertEquals(-1, find(301));
    }

    @Test
    void nonMonotoneTimestampsFindTheFirstEntryWhoseMaximumReachesTheTime() {
        appendWithTimestamps(100, 500, 200, 300, 600, 50);

        assertEquals(0, find(100));
        assertEquals(2, find(150), "the entry at 2 (max 500) is the first at or after 150");
        assertEquals(2, find(500));
        assertEquals(8, find(501));
        assertEquals(8, find(600));
        assertEquals(-1, find(601));
        SegmentInfo info = get(store.getInfo(SEG));
        assertEquals(600, info.maxTimestamp());
        assertEquals(8, info.maxTimestampOffset());
    }

    @Test
    void negativeTimestampsOrderBeforePositiveOnes() {
        appendWithTimestamps(-5, -1, 10);

        assertEquals(0, find(-100));
        assertEquals(2, find(-3));
        assertEquals(4, find(0));
    }

    @Test
    void afterTruncationTheAnswerIsAmongRetainedEntries() {
        appendWithTimestamps(100, 500, 200, 300, 400, 600);

        get(store.truncate(SEG, 4));

        assertEquals(4, find(150), "entry 2 (max 500) is gone; entry 4 (max 200) is the first retained at or after 150");
        assertEquals(6, find(250));
        assertEquals(10, find(550));
        assertEquals(-1, find(700));
    }

    @Test
    void truncatingInsideAnEntryNeverAnswersBelowTheStartOffset() {
        appendWithTimestamps(100, 200);

        get(store.truncate(SEG, 1));

        assertEquals(1, find(100));
        assertEquals(2, find(150));
    }

    @Test
    void truncatingPastTheMaximumLeavesNoAnswerAboveTheRetainedTimestamps() {
        appendWithTimestamps(900, 100, 200);

        get(store.truncate(SEG, 2));

        assertEquals(2, find(50));
        assertEquals(4, find(150));
        assertEquals(-1, find(250));
    }
}
