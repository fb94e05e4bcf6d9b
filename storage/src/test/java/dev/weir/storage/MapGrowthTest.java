package dev.weir.storage;

import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.sized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MapGrowthTest {
    static final int ENTRY_BYTES = 32 * 1024;

    @TempDir
    Path dir;

    @Test
    void readsKeepReturningCommittedDataWhileTheMapGrowsUnderThem() throws Exception {
        StoreOptions options = StoreFixture.options(dir, 1, false, StoreFixture.GIB, 64 * 1024, new MetricRegistry());
        try (LmdbSegmentStore store = LmdbSegmentStore.open(options)) {
            get(store.createSegment("grow"));
            get(store.append("grow", Append.of(sized(ENTRY_BYTES, 1))));
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong reads = new AtomicLong();
            ExecutorService readers = Executors.newFixedThreadPool(2);
            List<Future<?>> results = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                results.add(readers.submit(() -> {
                    while (writing.get()) {
                        SegmentInfo info = get(store.getInfo("grow"));
                        long offset = reads.incrementAndGet() % info.nextOffset();
                        ReadResult read = get(store.read("grow", offset, ENTRY_BYTES * 4));
                        assertTrue(read.entries().size() >= 1);
                        assertEquals(offset, read.entries().get(0).baseOffset());
                        assertEquals(sized(ENTRY_BYTES, 1).data(), read.entries().get(0).data());
                    }
                    return null;
                }));
            }
            // 8 MiB through a map that starts at 64 KiB: it doubles seven times
            for (int i = 1; i < 256; i++) {
                assertEquals(i, get(store.append("grow", Append.of(sized(ENTRY_BYTES, 1)))).baseOffset());
            }
            writing.set(false);
            for (Future<?> f : results) {
                f.get();
            }
            readers.shutdown();
            assertEquals(256, get(store.read("grow", 0, Integer.MAX_VALUE)).entries().size());
        }
        assertTrue(Files.size(dir.resolve("container-0").resolve("data.mdb")) >= 256L * ENTRY_BYTES);
    }

    @Test
    void anEntryWhoseOffsetStampThrowsFailsOnlyItsOwnAppend() {
        try (LmdbSegmentStore store = LmdbSegmentStore.open(StoreFixture.options(dir))) {
            get(store.createSegment("s"));
            Entry broken = new Entry(sized(10, 1).data(), 1, -1, (buf, offset) -> {
                throw new IllegalStateException("no room for the offset");
            });
            StorageException e = StoreFixture.failure(store.append("s", Append.of(sized(10, 1), broken)),
                    StorageException.class);
            assertTrue(e.getCause() instanceof IllegalStateException);

            assertEquals(0, get(store.append("s", Append.of(sized(10, 1)))).baseOffset());
            assertEquals(1, get(store.getInfo("s")).nextOffset());
        }
    }
}
