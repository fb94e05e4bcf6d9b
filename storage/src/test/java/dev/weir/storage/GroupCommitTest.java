package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
    @TempDir
    Path dir;
    MetricRegistry metrics = new MetricRegistry();
    LmdbSegmentStore store;

    @BeforeEach
    void open() {
        store = LmdbSegmentStore.open(StoreFixture.options(dir, 4, true, StoreFixture.GIB, StoreFixture.MIB, metrics));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void concurrentAppendsToManySegmentsOfOneContainerCommitTogether() throws Exception {
        String[] segments = StoreFixture.segmentsInContainer(store, 0, 20);
        for (String s : segments) {
            get(store.createSegment(s));
        }
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        CompletableFuture<Void> pause = store.container(segments[0]).pauseSequencer(paused, resume);
        paused.await();

        // queued while the sequencer is busy: the next group takes them all
        ExecutorService producers = Executors.newFixedThreadPool(4);
        List<Future<List<CompletableFuture<AppendResult>>>> submitted = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            submitted.add(producers.submit(() -> {
                List<CompletableFuture<AppendResult>> mine = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    String segment = segments[(thread * 50 + i) % segments.length];
                    mine.add(store.append(segment, Append.of(entry(thread + ":" + i))));
                }
                return mine;
            }));
        }
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (Future<List<CompletableFuture<AppendResult>>> f : submitted) {
            appends.addAll(f.get());
        }
        producers.shutdown();
        appends.forEach(f -> assertFalse(f.isDone(), "nothing is acknowledged before its commit"));
        resume.countDown();
        get(pause);

        for (CompletableFuture<AppendResult> f : appends) {
            get(f);
        }
        long total = 0;
        for (String s : segments) {
            SegmentInfo info = get(store.getInfo(s));
            assertEquals(10, info.nextOffset());
            total += get(store.read(s, 0, Integer.MAX_VALUE)).entries().size();
        }
        assertEquals(200, total);
        assertTrue(metrics.histogram("storage.container.0.commit-batch-size").getSnapshot().getMax() >= 200);
        assertTrue(metrics.timer("storage.container.0.commit-latency").getCount() > 0);
    }

    @Test
    void aRejectedOperationFailsAloneWhileTheRestOfItsGroupCommits() throws Exception {
        String[] segments = StoreFixture.segmentsInContainer(store, 1, 3);
        get(store.createSegment(segments[0]));
        get(store.createSegment(segments[1]));
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        store.container(segments[0]).pauseSequencer(paused, resume);
        paused.await();

        CompletableFuture<AppendResult> ok1 = store.append(segments[0], Append.of(entry("one")));
        CompletableFuture<AppendResult> badOffset = store.append(segments[0], Append.of(entry("x")).expectingOffset(0));
        CompletableFuture<AppendResult> missing = store.append(segments[2], Append.of(entry("x")));
        CompletableFuture<AppendResult> ok2 = store.append(segments[1], Append.of(entry("two")).expectingOffset(0));
        CompletableFuture<Void> duplicate = store.createSegment(segments[1]);
        resume.countDown();

        assertEquals(0, get(ok1).baseOffset());
        assertEquals(0, get(ok2).baseOffset());
        assertEquals(1, failure(badOffset, BadOffsetException.class).actualOffset());
        failure(duplicate, SegmentExistsException.class);
        failure(missing, SegmentNotFoundException.class);
        assertEquals("one", payload(get(store.read(segments[0], 0, 100)).entries().get(0)));
        assertEquals(1, get(store.getInfo(segments[0])).nextOffset());
    }

    @Test
    void appendsToOneSegmentAreSequencedInSubmissionOrder() {
        get(store.createSegment("log"));
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            appends.add(store.append("log", Append.of(entry("e" + i, 2, -1))));
        }
        for (int i = 0; i < 500; i++) {
            assertEquals(2L * i, get(appends.get(i)).baseOffset());
        }
        List<StoredEntry> all = get(store.read("log", 0, Integer.MAX_VALUE)).entries();
        assertEquals(500, all.size());
        for (int i = 0; i < 500; i++) {
            assertEquals("e" + i, payload(all.get(i)));
        }
    }
}
