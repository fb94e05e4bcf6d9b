package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static dev.weir.storage.StoreFixture.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parked reads, the basis of Fetch long-polling. */
class FutureReadTest {
    static final String SEG = "tail/0";
    static final Duration LONG = Duration.ofMinutes(5);
    static final Duration SHORT = Duration.ofMillis(50);

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

    @Test
    void aReadAtTheEndWaitsForTheNextAppendAndReturnsIt() {
        get(store.append(SEG, Append.of(entry("old", 2, -1))));
        CompletableFuture<ReadResult> parked = store.readWait(SEG, 2, 1 << 20, LONG);
        assertFalse(parked.isDone());

        get(store.append(SEG, Append.of(entry("new"))));

        ReadResult r = get(parked);
        assertEquals(1, r.entries().size());
        assertEquals("new", payload(r.entries().get(0)));
        assertEquals(3, r.info().nextOffset());
    }

    @Test
    void aReadWithDataAvailableDoesNotWait() {
        get(store.append(SEG, Append.of(entry("a"))));
        CompletableFuture<ReadResult> r = store.readWait(SEG, 0, 100, LONG);
        assertTrue(r.isDone());
        assertEquals("a", payload(get(r).entries().get(0)));
    }

    @Test
    void aParkedReadTimesOutWithNoEntriesInsteadOfFailing() {
        ReadResult r = get(store.readWait(SEG, 0, 100, SHORT));
        assertTrue(r.entries().isEmpty());
        assertEquals(0, r.info().nextOffset());
    }

    @Test
    void awaitDataCompletesOnAppendAndOnTimeout() {
        CompletableFuture<Void> woken = store.awaitData(SEG, 0, LONG);
        CompletableFuture<Void> later = store.awaitData(SEG, 1, LONG);
        assertFalse(woken.isDone());

        get(store.append(SEG, Append.of(entry("a"))));

        assertNull(get(woken));
        assertFalse(later.isDone(), "offset 1 has no data yet");
        assertNull(get(store.awaitData(SEG, 5, SHORT)));
        assertTrue(store.awaitData(SEG, 0, LONG).isDone(), "data already there");
    }

    @Test
    void parkedWaitsSurviveTruncationAndEndWhenTheSegmentIsDeleted() {
        get(store.append(SEG, Append.of(entry("a", 5, -1))));
        CompletableFuture<Void> beyondEnd = store.awaitData(SEG, 10, LONG);
        CompletableFuture<ReadResult> parkedRead = store.readWait(SEG, 5, 100, LONG);

        get(store.truncate(SEG, 5));
        assertFalse(beyondEnd.isDone(), "start offset 5 is still before 10");

        get(store.deleteSegment(SEG));
        assertNull(get(beyondEnd));
        failure(parkedRead, SegmentNotFoundException.class);
    }

    @Test
    void closingTheStoreCompletesParkedReadsNormally() {
        get(store.append(SEG, Append.of(entry("a"))));
        CompletableFuture<Void> waiting = store.awaitData(SEG, 1, LONG);
        CompletableFuture<ReadResult> parked = store.readWait(SEG, 1, 100, LONG);

        store.close();

        assertNull(get(waiting));
        ReadResult r = get(parked);
        assertTrue(r.entries().isEmpty());
        assertEquals(1, r.info().nextOffset());
    }
}
