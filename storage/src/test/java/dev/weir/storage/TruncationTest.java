package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.sized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TruncationTest {
    static final String SEG = "logs/0";

    @TempDir
    Path dir;
    LmdbSegmentStore store;

    @BeforeEach
    void open() {
        store = LmdbSegmentStore.open(StoreFixture.options(dir));
        get(store.createSegment(SEG));
        // five entries of 100 bytes and 10 records each: offsets 0..49
        for (int i = 0; i < 5; i++) {
            get(store.append(SEG, Append.of(sized(100, 10))));
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    private SegmentInfo info() {
        return get(store.getInfo(SEG));
    }

    private List<Long> baseOffsetsFrom(long offset) {
        return get(store.read(SEG, offset, Integer.MAX_VALUE)).entries().stream().map(StoredEntry::baseOffset).toList();
    }

    @Test
    void truncateMovesTheStartOffsetAndDropsWholeEntriesBeforeIt() {
        assertEquals(20, get(store.truncate(SEG, 20)));

        assertEquals(20, info().startOffset());
        assertEquals(300, info().sizeBytes());
        assertTrue(get(store.read(SEG, 19, 1000)).entries().isEmpty());
        assertEquals(List.of(20L, 30L, 40L), baseOffsetsFrom(20));
    }

    @Test
    void truncatingInsideAnEntryKeepsItAndReadsInsideItReturnItWhole() {
        assertEquals(25, get(store.truncate(SEG, 25)));

        assertEquals(25, info().startOffset());
        assertEquals(300, info().sizeBytes(), "the entry holding 20..29 stays");
        assertEquals(List.of(20L, 30L, 40L), baseOffsetsFrom(25));
        assertEquals(List.of(20L, 30L, 40L), baseOffsetsFrom(29));
        assertTrue(get(store.read(SEG, 24, 1000)).entries().isEmpty());
    }

    @Test
    void truncateNeverMovesBackwardsNorPastTheEnd() {
        get(store.truncate(SEG, 30));
        assertEquals(30, get(store.truncate(SEG, 10)));
        assertEquals(50, get(store.truncate(SEG, 1000)));
        assertEquals(new SegmentInfo(SEG, 50, 50, 0, -1, -1), info());

        get(store.append(SEG, Append.of(entry("after"))));
        assertEquals(List.of(50L), baseOffsetsFrom(50));
    }

    @Test
    void truncateToSizeDropsTheOldestWholeEntries() {
        assertEquals(30, get(store.truncateToSize(SEG, 250)));

        assertEquals(new SegmentInfo(SEG, 30, 50, 200, -1, -1), info());
        assertEquals(List.of(30L, 40L), baseOffsetsFrom(30));
        assertEquals(30, get(store.truncateToSize(SEG, 1000)), "already small enough");
        assertEquals(50, get(store.truncateToSize(SEG, 0)));
        assertEquals(0, info().sizeBytes());
    }

    @Test
    void truncateToSizeNeverMovesTheStartBackInsideAKeptEntry() {
        get(store.truncate(SEG, 25));
        assertEquals(25, get(store.truncateToSize(SEG, 300)));
        assertEquals(30, get(store.truncateToSize(SEG, 299)));
        failure(store.truncateToSize(SEG, -1), IllegalArgumentException.class);
    }

    @Test
    void truncatingThousandsOfEntriesInOneGoLeavesTheRestIntact() {
        get(store.createSegment("big/0"));
        for (int i = 0; i < 20; i++) {
            Entry[] batch = new Entry[200];
            for (int j = 0; j < batch.length; j++) {
                batch[j] = sized(50, 1);
            }
            get(store.append("big/0", Append.of(batch)));
        }
        assertEquals(3999, get(store.truncate("big/0", 3999)));

        assertEquals(List.of(3999L), get(store.read("big/0", 0 + 3999, 1 << 20)).entries().stream()
                .map(StoredEntry::baseOffset).toList());
        assertEquals(50, get(store.getInfo("big/0")).sizeBytes());
        assertEquals(5, get(store.read(SEG, 0, 1 << 20)).entries().size(), "other segments are untouched");
    }
}
