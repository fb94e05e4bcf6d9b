package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.payload;
import static dev.weir.storage.StoreFixture.sized;
import static dev.weir.storage.StoreFixture.stampedOffset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppendAndReadTest {
    @TempDir
    Path dir;
    LmdbSegmentStore store;

    @BeforeEach
    void open() {
        store = LmdbSegmentStore.open(StoreFixture.options(dir));
        get(store.createSegment("orders/0"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void appendedEntriesGetConsecutiveOffsetsAndReadBackByteIdenticalWithTheirStampedOffset() {
        AppendResult first = get(store.append("orders/0", Append.of(entry("a", 3, 10), entry("b", 2, 20))));
        AppendResult second = get(store.append("orders/0", Append.of(entry("c", 1, 30))));

        assertEquals(0, first.baseOffset());
        assertEquals(5, first.nextOffset());
        assertEquals(5, second.baseOffset());
        assertEquals(6, second.nextOffset());
        assertEquals(0, second.startOffset());
        assertTrue(second.appendTimeMs() > 0);

        ReadResult read = get(store.read("orders/0", 0, Integer.MAX_VALUE));
        assertEquals(3, read.entries().size());
        StoredEntry a = read.entries().get(0);
        StoredEntry b = read.entries().get(1);
        StoredEntry c = read.entries().get(2);
        assertEquals(List.of(0L, 3L, 5L), List.of(a.baseOffset(), b.baseOffset(), c.baseOffset()));
        assertEquals(List.of(2L, 4L, 5L), List.of(a.lastOffset(), b.lastOffset(), c.lastOffset()));
        assertEquals(List.of(0L, 3L, 5L), List.of(stampedOffset(a), stampedOffset(b), stampedOffset(c)));
        assertEquals(List.of("a", "b", "c"), List.of(payload(a), payload(b), payload(c)));
        assertEquals(20, b.maxTimestamp());
        assertEquals(new SegmentInfo("orders/0", 0, 6, 3 * 9, 30, 5), read.info());
    }

    @Test
    void theStampSeesTheCallersBytesAndTheStoreKeepsWhatTheStampWrote() {
        Entry e = entry("payload");
        get(store.append("orders/0", Append.of(entry("first", 4, -1))));
        get(store.append("orders/0", Append.of(e)));

        assertEquals(4, e.data().getLong(0), "the caller's buffer carries the assigned offset");
        assertEquals(0, e.data().position(), "the caller's buffer position is untouched");
        StoredEntry stored = get(store.read("orders/0", 4, 1)).entries().get(0);
        assertEquals(e.data(), stored.data());
    }

    @Test
    void theEntriesOfOneReadAreBackToBackSlicesOfOneArray() {
        get(store.append("orders/0", Append.of(entry("a", 1, -1), entry("bb", 1, -1), entry("ccc", 1, -1))));

        List<StoredEntry> entries = get(store.read("orders/0", 0, Integer.MAX_VALUE)).entries();
        assertEquals(3, entries.size());
        int end = entries.get(0).data().arrayOffset();
        for (StoredEntry s : entries) {
            assertTrue(s.data().array() == entries.get(0).data().array());
            assertEquals(end, s.data().arrayOffset() + s.data().position());
            end += s.data().remaining();
        }
    }

    @Test
    void readingFromAnOffsetInsideAnEntryReturnsThatWholeEntry() {
        get(store.append("orders/0", Append.of(entry("x", 10, -1), entry("y", 10, -1))));

        ReadResult read = get(store.read("orders/0", 14, Integer.MAX_VALUE));

        assertEquals(1, read.entries().size());
        assertEquals(10, read.entries().get(0).baseOffset());
        assertEquals("y", payload(read.entries().get(0)));
    }

    @Test
    void maxBytesLimitsTheReadButTheFirstEntryIsAlwaysReturnedWhole() {
        get(store.append("orders/0", Append.of(sized(1000, 1), sized(1000, 1), sized(1000, 1))));

        assertEquals(1, get(store.read("orders/0", 0, 10)).entries().size());
        assertEquals(1000, get(store.read("orders/0", 0, 10)).sizeBytes());
        assertEquals(1, get(store.read("orders/0", 0, 1999)).entries().size());
        assertEquals(2, get(store.read("orders/0", 0, 2000)).entries().size());
        assertEquals(3, get(store.read("orders/0", 0, 100_000)).entries().size());
    }

    @Test
    void readsStopAtTheEndOfTheirSegment() {
        get(store.createSegment("orders/1"));
        get(store.append("orders/0", Append.of(entry("mine"))));
        get(store.append("orders/1", Append.of(entry("other"))));

        ReadResult read = get(store.read("orders/0", 0, Integer.MAX_VALUE));

        assertEquals(1, read.entries().size());
        assertEquals("mine", payload(read.entries().get(0)));
    }

    @Test
    void anOffsetOutsideTheSegmentGivesNoEntriesAndTheInfoTellsWhy() {
        get(store.append("orders/0", Append.of(entry("a", 5, -1))));

        ReadResult atEnd = get(store.read("orders/0", 5, 100));
        ReadResult beyond = get(store.read("orders/0", 50, 100));
        ReadResult before = get(store.read("orders/0", -1, 100));

        assertTrue(atEnd.entries().isEmpty());
        assertTrue(beyond.entries().isEmpty());
        assertTrue(before.entries().isEmpty());
        assertEquals(5, atEnd.info().nextOffset());
        assertEquals(0, before.info().startOffset());
    }

    @Test
    void anAppendWithoutEntriesChangesNoOffsets() {
        get(store.append("orders/0", Append.of(entry("a", 2, -1))));

        AppendResult r = get(store.append("orders/0", Append.of(List.of())
                .withAttributeUpdates(List.of(AttributeUpdate.replace(1, 7)))));

        assertEquals(2, r.baseOffset());
        assertEquals(2, r.nextOffset());
        assertEquals(7L, get(store.getAttributes("orders/0", List.of(1L))).get(1L));
    }

    @Test
    void aMissingSegmentIsAFailureOfItsOwnType() {
        failure(store.append("nope", Append.of(entry("a"))), SegmentNotFoundException.class);
        failure(store.read("nope", 0, 10), SegmentNotFoundException.class);
        failure(store.getInfo("nope"), SegmentNotFoundException.class);
        failure(store.truncate("nope", 1), SegmentNotFoundException.class);
        failure(store.findOffsetByTimestamp("nope", 1), SegmentNotFoundException.class);
        failure(store.getAttributes("nope", List.of(1L)), SegmentNotFoundException.class);
        failure(store.awaitData("nope", 0, java.time.Duration.ofSeconds(1)), SegmentNotFoundException.class);
        assertFalse(get(store.exists("nope")));
    }

    @Test
    void creatingAnExistingSegmentFailsAndInvalidNamesAreRejected() {
        failure(store.createSegment("orders/0"), SegmentExistsException.class);
        failure(store.createSegment(""), IllegalArgumentException.class);
        failure(store.createSegment("x".repeat(600)), IllegalArgumentException.class);
        assertThrows(NullPointerException.class, () -> store.createSegment(null));
    }

    @Test
    void deletingASegmentRemovesItsDataAndANewSegmentOfTheSameNameStartsEmpty() {
        get(store.append("orders/0", Append.of(entry("a", 3, 100))
                .withAttributeUpdates(List.of(AttributeUpdate.replace(9, 9)))));

        get(store.deleteSegment("orders/0"));
        assertFalse(get(store.exists("orders/0")));
        failure(store.read("orders/0", 0, 10), SegmentNotFoundException.class);
        failure(store.deleteSegment("orders/0"), SegmentNotFoundException.class);

        get(store.createSegment("orders/0"));
        assertEquals(new SegmentInfo("orders/0", 0, 0, 0, -1, -1), get(store.getInfo("orders/0")));
        assertTrue(get(store.read("orders/0", 0, 10)).entries().isEmpty());
        assertEquals(Attributes.NULL_VALUE, get(store.getAttributes("orders/0", List.of(9L))).get(9L));
        assertEquals(-1L, get(store.findOffsetByTimestamp("orders/0", 0)));
    }
}
