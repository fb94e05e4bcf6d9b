package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloseTest {
    @TempDir
    Path dir;

    @Test
    void afterCloseEveryVerbFailsWithStoreClosedException() {
        LmdbSegmentStore store = LmdbSegmentStore.open(StoreFixture.options(dir));
        get(store.createSegment("s"));
        store.close();
        store.close();

        failure(store.createSegment("t"), StoreClosedException.class);
        failure(store.deleteSegment("s"), StoreClosedException.class);
        failure(store.exists("s"), StoreClosedException.class);
        failure(store.append("s", Append.of(entry("a"))), StoreClosedException.class);
        failure(store.read("s", 0, 10), StoreClosedException.class);
        failure(store.readWait("s", 0, 10, Duration.ofSeconds(1)), StoreClosedException.class);
        failure(store.awaitData("s", 0, Duration.ofSeconds(1)), StoreClosedException.class);
        failure(store.getInfo("s"), StoreClosedException.class);
        failure(store.findOffsetByTimestamp("s", 0), StoreClosedException.class);
        failure(store.truncate("s", 0), StoreClosedException.class);
        failure(store.truncateToSize("s", 0), StoreClosedException.class);
        failure(store.getAttributes("s", List.of(1L)), StoreClosedException.class);
    }

    @Test
    void closeCommitsWhatIsAlreadyQueued() throws Exception {
        List<CompletableFuture<AppendResult>> queued = new ArrayList<>();
        LmdbSegmentStore store = LmdbSegmentStore.open(StoreFixture.options(dir, 1, true, StoreFixture.GIB,
                StoreFixture.MIB, null));
        get(store.createSegment("s"));
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        store.container("s").pauseSequencer(paused, resume);
        paused.await();
        for (int i = 0; i < 100; i++) {
            queued.add(store.append("s", Append.of(entry("e" + i))));
        }
        Thread closer = new Thread(store::close);
        closer.start();
        resume.countDown();
        closer.join();

        for (int i = 0; i < 100; i++) {
            assertEquals(i, get(queued.get(i)).baseOffset());
        }
        try (LmdbSegmentStore reopened = LmdbSegmentStore.open(StoreFixture.options(dir, 1, true, StoreFixture.GIB,
                StoreFixture.MIB, null))) {
            assertEquals(100, get(reopened.getInfo("s")).nextOffset());
        }
    }

    @Test
    void closingFromAStoreCallbackDoesNotDeadlock() {
        LmdbSegmentStore store = LmdbSegmentStore.open(StoreFixture.options(dir));
        CompletableFuture<Void> closedInCallback = store.createSegment("s").thenRun(store::close);
        get(closedInCallback);
        store.close();
        failure(store.exists("s"), StoreClosedException.class);
    }
}
