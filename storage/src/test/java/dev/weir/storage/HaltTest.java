package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** halt(): the store stopped as by kill -9, for the embedded broker's crash(). */
class HaltTest {
    @TempDir
    Path dir;

    @Test
    void haltDropsQueuedWorkUnappliedAndKeepsEveryAcknowledgedAppend() throws Exception {
        StoreOptions options = StoreFixture.options(dir, 1, false, StoreFixture.GIB, StoreFixture.MIB, null);
        LmdbSegmentStore store = LmdbSegmentStore.open(options);
        get(store.createSegment("s"));
        for (int i = 0; i < 10; i++) {
            get(store.append("s", Append.of(entry("acked" + i))));
        }
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        store.container("s").pauseSequencer(paused, resume);
        paused.await();
        List<CompletableFuture<AppendResult>> queued = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            queued.add(store.append("s", Append.of(entry("queued" + i))));
        }
        Thread halter = new Thread(store::halt);
        halter.start();
        // halt() fails what is queued at once, without waiting for the group being applied
        CompletableFuture.allOf(queued.stream().map(f -> f.handle((r, e) -> null)).toArray(CompletableFuture[]::new))
                .get(30, TimeUnit.SECONDS);
        resume.countDown();
        halter.join();
        for (CompletableFuture<AppendResult> f : queued) {
            failure(f, StoreClosedException.class);
        }
        failure(store.append("s", Append.of(entry("late"))), StoreClosedException.class);
        store.close(); // after a halt: nothing more to do

        try (LmdbSegmentStore reopened = LmdbSegmentStore.open(options)) {
            assertEquals(10, get(reopened.getInfo("s")).nextOffset(), "acknowledged appends only");
            get(reopened.append("s", Append.of(entry("after"))));
            assertEquals(11, get(reopened.getInfo("s")).nextOffset());
        }
    }
}
