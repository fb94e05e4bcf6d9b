package dev.weir.storage;

import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.sized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageFullTest {
    static final long MAX_BYTES = 2 * StoreFixture.MIB;
    static final int ENTRY_BYTES = 64 * 1024;

    @TempDir
    Path dir;

    private LmdbSegmentStore open() {
        return LmdbSegmentStore.open(StoreFixture.options(dir, 1, false, MAX_BYTES, 256 * 1024, new MetricRegistry()));
    }

    /** Appends 64 KiB entries until the store refuses one; returns how many it took. */
    private static int fill(LmdbSegmentStore store, String seg) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            CompletableFuture<AppendResult> f = store.append(seg, Append.of(sized(ENTRY_BYTES, 1)));
            try {
                f.get();
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof StorageFullException, "unexpected " + e.getCause());
                return i;
            }
        }
        throw new AssertionError("a 2 MiB store took 1000 entries of 64 KiB");
    }

    @Test
    void appendsFailWhenTheBudgetIsUsedAndTruncationMakesRoomAgain() throws Exception {
        try (LmdbSegmentStore store = open()) {
            get(store.createSegment("s"));
            int accepted = fill(store, "s");
            assertTrue(accepted >= 10 && accepted * ENTRY_BYTES <= MAX_BYTES, "accepted " + accepted);

            // nothing acknowledged is lost and reads keep working
            ReadResult all = get(store.read("s", 0, Integer.MAX_VALUE));
            assertEquals(accepted, all.entries().size());
            assertEquals(sized(ENTRY_BYTES, 1).data(), all.entries().get(accepted - 1).data());
            assertEquals(accepted, get(store.getInfo("s")).nextOffset());
            failure(store.append("s", Append.of(sized(ENTRY_BYTES, 1))), StorageFullException.class);
            assertEquals(accepted, get(store.getInfo("s")).nextOffset(), "a refused append adds nothing");

            assertEquals(accepted, get(store.truncate("s", accepted)));
            int again = fill(store, "s");
            assertTrue(again >= accepted / 2, "after truncation " + again + " appends fit, before " + accepted);
            assertEquals(accepted + again, get(store.getInfo("s")).nextOffset());
        }
        try (LmdbSegmentStore store = open()) {
            SegmentInfo info = get(store.getInfo("s"));
            assertEquals(info.nextOffset() - info.startOffset(),
                    get(store.read("s", info.startOffset(), Integer.MAX_VALUE)).entries().size());
            get(store.truncateToSize("s", 0));
            assertEquals(info.nextOffset(), get(store.append("s", Append.of(sized(ENTRY_BYTES, 1)))).baseOffset());
        }
    }

    @Test
    void anAppendLargerThanTheWholeBudgetFailsAtOnce() {
        try (LmdbSegmentStore store = open()) {
            get(store.createSegment("s"));
            failure(store.append("s", Append.of(sized((int) MAX_BYTES + 1, 1))), StorageFullException.class);
            assertEquals(0, get(store.append("s", Append.of(sized(100, 1)))).baseOffset());
        }
    }

    @Test
    void aFullStoreStillDeletesSegmentsAndCreatesNewOnes() throws Exception {
        try (LmdbSegmentStore store = open()) {
            get(store.createSegment("a"));
            fill(store, "a");
            get(store.deleteSegment("a"));
            get(store.createSegment("b"));
            assertTrue(fill(store, "b") >= 10);
        }
    }
}
