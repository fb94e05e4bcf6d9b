package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log compaction's verb: entries replaced or dropped in place, offsets untouched. */
class RewriteTest {
    static final String SEG = "compacted/0";

    @TempDir
    Path dir;
    LmdbSegmentStore store;

    @BeforeEach
    void open() {
        store = LmdbSegmentStore.open(StoreFixture.options(dir));
        get(store.createSegment(SEG));
        get(store.append(SEG, Append.of(entry("aaaa", 2, 10))));   // offsets 0-1
        get(store.append(SEG, Append.of(entry("bbbbbbbb", 3, 20)))); // offsets 2-4
        get(store.append(SEG, Append.of(entry("cc", 1, 30))));     // offset 5
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rewrittenAndDroppedEntriesKeepEveryOtherOffsetWhereItWas() {
        long before = get(store.getInfo(SEG)).sizeBytes();
        long freed = get(store.rewriteEntries(SEG, List.of(new EntryRewrite(0, 1, null),
                new EntryRewrite(2, 4, bytes("bb")))));
        SegmentInfo info = get(store.getInfo(SEG));
        assertEquals(12 + (16 - 2), freed, "the dropped entry and what the rewritten one lost");
        assertEquals(before - freed, info.sizeBytes());
        assertEquals(0, info.startOffset(), "compaction does not move the start offset");
        assertEquals(6, info.nextOffset());

        List<StoredEntry> read = get(store.read(SEG, 0, 1 << 20)).entries();
        assertEquals(2, read.size(), "reading from a dropped offset starts at the next entry");
        assertEquals(2, read.get(0).baseOffset());
        assertEquals(4, read.get(0).lastOffset());
        assertEquals("bb", StandardCharsets.UTF_8.decode(read.get(0).data().duplicate()).toString());
        assertEquals(5, read.get(1).baseOffset());
    }

    @Test
    void anEntryNoLongerStoredIsLeftAlone() {
        get(store.truncate(SEG, 2));
        assertEquals(0, get(store.rewriteEntries(SEG, List.of(new EntryRewrite(0, 1, bytes("a")),
                new EntryRewrite(2, 3, bytes("b"))))), "truncated and unknown entries are skipped");
        assertEquals(2, get(store.read(SEG, 2, 1 << 20)).entries().size());
    }
}
