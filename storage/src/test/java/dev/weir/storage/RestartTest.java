package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.payload;
import static dev.weir.storage.StoreFixture.stampedOffset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestartTest {
    @TempDir
    Path dir;

    private LmdbSegmentStore open(int containers) {
        return LmdbSegmentStore.open(StoreFixture.options(dir, containers, true, StoreFixture.GIB, StoreFixture.MIB,
                new MetricRegistry()));
    }

    @Test
    void aReopenedStoreContinuesAtTheSameNextOffsetWithDataAttributesAndIndexesIntact() {
        try (LmdbSegmentStore store = open(3)) {
            for (int p = 0; p < 6; p++) {
                String seg = "t/" + p;
                get(store.createSegment(seg));
                get(store.append(seg, Append.of(entry(seg + "-a", 2, 100), entry(seg + "-b", 3, 300))
                        .withAttributeUpdates(List.of(AttributeUpdate.replace(7, p)))));
            }
            get(store.truncate("t/0", 2));
        }

        try (LmdbSegmentStore store = open(3)) {
            for (int p = 0; p < 6; p++) {
                String seg = "t/" + p;
                SegmentInfo info = get(store.getInfo(seg));
                assertEquals(5, info.nextOffset());
                assertEquals(300, info.maxTimestamp());
                assertEquals(2, info.maxTimestampOffset());
                assertEquals(Map.of(7L, (long) p), get(store.getAttributes(seg, List.of(7L))));
                assertEquals(2, get(store.findOffsetByTimestamp(seg, 200)));
                AppendResult next = get(store.append(seg, Append.of(entry(seg + "-c")).expectingOffset(5)));
                assertEquals(5, next.baseOffset());
            }
            assertEquals(2, get(store.getInfo("t/0")).startOffset());
            List<StoredEntry> t0 = get(store.read("t/0", 2, Integer.MAX_VALUE)).entries();
            assertEquals(List.of("t/0-b", "t/0-c"), t0.stream().map(StoreFixture::payload).toList());
            assertEquals(List.of(2L, 5L), t0.stream().map(StoreFixture::stampedOffset).toList());

            // new segments get fresh ids: nothing of a deleted segment leaks into them
            get(store.deleteSegment("t/1"));
            get(store.createSegment("t/new"));
            assertTrue(get(store.read("t/new", 0, 100)).entries().isEmpty());
        }

        try (LmdbSegmentStore store = open(3)) {
            assertEquals(0, get(store.getInfo("t/new")).nextOffset());
            assertEquals(false, get(store.exists("t/1")));
            StoredEntry last = get(store.read("t/5", 5, 100)).entries().get(0);
            assertEquals("t/5-c", payload(last));
            assertEquals(5, stampedOffset(last));
        }
    }

    @Test
    void theContainerCountIsFixedForTheLifeOfTheDataDirectory() {
        open(2).close();
        assertTrue(Files.exists(dir.resolve("weir-store.properties")));
        assertTrue(Files.isDirectory(dir.resolve("container-1")));

        StorageException e = assertThrows(StorageException.class, () -> open(3));
        assertTrue(e.getMessage().contains("created with 2 containers"), e.getMessage());

        open(2).close();
        open(0).close(); // automatic: the directory's own count
        assertTrue(Files.isDirectory(dir.resolve("container-1")));
        assertTrue(Files.notExists(dir.resolve("container-2")));
    }

    @Test
    void aNewDataDirectoryGetsOneContainerPerProcessorByDefault() {
        open(0).close();
        int processors = Runtime.getRuntime().availableProcessors();
        assertTrue(Files.isDirectory(dir.resolve("container-" + (processors - 1))));
        assertTrue(Files.notExists(dir.resolve("container-" + processors)));
        open(processors).close();
    }

    @Test
    void aDataDirectoryCanBeOpenedByOneStoreAtATime() {
        try (LmdbSegmentStore store = open(1)) {
            StorageException e = assertThrows(StorageException.class, () -> open(1));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            get(store.createSegment("still-works"));
        }
        open(1).close();
    }
}
