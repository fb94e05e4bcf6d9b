package dev.weir.storage;

import static dev.weir.storage.StoreFixture.entry;
import static dev.weir.storage.StoreFixture.failure;
import static dev.weir.storage.StoreFixture.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.storage.AttributeUpdate.Type;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConditionalAppendTest {
    static final String SEG = "state/0";
    static final long A = 1;
    static final long B = -42;

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

    private CompletableFutureAssert update(AttributeUpdate... updates) {
        return new CompletableFutureAssert(store.append(SEG, Append.of(entry("data")).withAttributeUpdates(List.of(updates))));
    }

    private long attr(long id) {
        return get(store.getAttributes(SEG, List.of(id))).get(id);
    }

    private long next() {
        return get(store.getInfo(SEG)).nextOffset();
    }

    @Test
    void aConditionalAppendSucceedsOnlyAtTheExpectedOffset() {
        assertEquals(0, get(store.append(SEG, Append.of(entry("a", 3, -1)).expectingOffset(0))).baseOffset());

        BadOffsetException stale = failure(store.append(SEG, Append.of(entry("b")).expectingOffset(0)), BadOffsetException.class);
        assertEquals(0, stale.expectedOffset());
        assertEquals(3, stale.actualOffset());
        failure(store.append(SEG, Append.of(entry("b")).expectingOffset(7)), BadOffsetException.class);
        assertEquals(3, next(), "a rejected append adds nothing");

        assertEquals(3, get(store.append(SEG, Append.of(entry("b")).expectingOffset(3))).baseOffset());
    }

    @Test
    void noneSetsOnlyAnAbsentAttribute() {
        update(new AttributeUpdate(A, Type.NONE, 5, 0)).succeeds();
        assertEquals(5, attr(A));
        BadAttributeUpdateException e = update(new AttributeUpdate(A, Type.NONE, 6, 0)).fails();
        assertEquals(A, e.attributeId());
        assertEquals(5, e.currentValue());
        assertEquals(5, attr(A));
    }

    @Test
    void replaceSetsUnconditionallyAndNullValueRemoves() {
        update(AttributeUpdate.replace(A, 5)).succeeds();
        update(AttributeUpdate.replace(A, 3)).succeeds();
        assertEquals(3, attr(A));
        update(AttributeUpdate.replace(A, Attributes.NULL_VALUE)).succeeds();
        assertEquals(Attributes.NULL_VALUE, attr(A));
    }

    @Test
    void replaceIfGreaterNeedsAGreaterValueOrAnAbsentOne() {
        update(new AttributeUpdate(B, Type.REPLACE_IF_GREATER, 10, 0)).succeeds();
        update(new AttributeUpdate(B, Type.REPLACE_IF_GREATER, 11, 0)).succeeds();
        assertEquals(11, update(new AttributeUpdate(B, Type.REPLACE_IF_GREATER, 11, 0)).fails().currentValue());
        update(new AttributeUpdate(B, Type.REPLACE_IF_GREATER, 9, 0)).fails();
        assertEquals(11, attr(B));
    }

    @Test
    void replaceIfEqualsComparesWithTheComparandAndNullValueMeansAbsent() {
        update(AttributeUpdate.replaceIfEquals(A, 1, Attributes.NULL_VALUE)).succeeds();
        update(AttributeUpdate.replaceIfEquals(A, 2, Attributes.NULL_VALUE)).fails();
        update(AttributeUpdate.replaceIfEquals(A, 2, 7)).fails();
        update(AttributeUpdate.replaceIfEquals(A, 2, 1)).succeeds();
        assertEquals(2, attr(A));
    }

    @Test
    void accumulateAddsToTheCurrentValueWithAbsentCountingAsZero() {
        update(new AttributeUpdate(A, Type.ACCUMULATE, 5, 0)).succeeds();
        update(new AttributeUpdate(A, Type.ACCUMULATE, -2, 0)).succeeds();
        assertEquals(3, attr(A));
    }

    @Test
    void updatesOfOneAppendSeeEachOtherInOrder() {
        update(AttributeUpdate.replace(A, 1), AttributeUpdate.replaceIfEquals(A, 2, 1),
                new AttributeUpdate(A, Type.ACCUMULATE, 10, 0)).succeeds();
        assertEquals(12, attr(A));
    }

    @Test
    void aFailedAttributeUpdateAppendsNothingAndChangesNoOtherAttribute() {
        update(AttributeUpdate.replace(A, 1)).succeeds();
        long before = next();

        update(AttributeUpdate.replace(B, 99), AttributeUpdate.replaceIfEquals(A, 2, 5)).fails();

        assertEquals(before, next());
        assertEquals(before, get(store.read(SEG, 0, Integer.MAX_VALUE)).entries().size());
        assertEquals(Map.of(A, 1L, B, Attributes.NULL_VALUE), get(store.getAttributes(SEG, List.of(A, B))));
    }

    @Test
    void anAttributeFailureTakesPrecedenceOverABadExpectedOffset() {
        update(AttributeUpdate.replace(A, 1)).succeeds();
        failure(store.append(SEG, Append.of(entry("x")).expectingOffset(99)
                .withAttributeUpdates(List.of(AttributeUpdate.replaceIfEquals(A, 2, 5)))), BadAttributeUpdateException.class);
    }

    @Test
    void attributesChangeOnlyWithASuccessfulAppend() {
        failure(store.append(SEG, Append.of(entry("x")).expectingOffset(99)
                .withAttributeUpdates(List.of(AttributeUpdate.replace(A, 5)))), BadOffsetException.class);
        assertEquals(Attributes.NULL_VALUE, attr(A));
    }

    /** Small helper so each attribute rule reads as one line. */
    static final class CompletableFutureAssert {
        private final java.util.concurrent.CompletableFuture<AppendResult> f;

        CompletableFutureAssert(java.util.concurrent.CompletableFuture<AppendResult> f) {
            this.f = f;
        }

        AppendResult succeeds() {
            return get(f);
        }

        BadAttributeUpdateException fails() {
            return failure(f, BadAttributeUpdateException.class);
        }
    }

    /** A sequence check: proceeds only if the attribute holds the previous value, then advances it. */
    private static AppendCondition sequence(long expectedPrevious, long next) {
        return new AppendCondition() {
            @Override
            public long[] reads() {
                return new long[] {A};
            }

            @Override
            public Decision decide(long[] current, long nextOffset) {
                if (current[0] == next) {
                    return new Skip(new AppendResult(-7, nextOffset, 0, 0));
                }
                if (current[0] != expectedPrevious) {
                    throw new ConditionFailedException("out of order", current[0]);
                }
                return new Proceed(List.of(AttributeUpdate.replace(A, next)));
            }
        };
    }

    @Test
    void anAppendConditionSeesEveryEarlierQueuedAppendAndDecidesAtSequencingTime() {
        // Issued back to back without waiting: each check must see the previous append's update.
        List<java.util.concurrent.CompletableFuture<AppendResult>> appends = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            appends.add(store.append(SEG, Append.of(entry("e" + i)).withCondition(
                    sequence(i == 0 ? Attributes.NULL_VALUE : i - 1, i))));
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(i, get(appends.get(i)).baseOffset());
        }
        assertEquals(49, attr(A));
    }

    @Test
    void aSkippedAppendWritesNothingAndCompletesWithTheConditionsResult() {
        get(store.append(SEG, Append.of(entry("x")).withCondition(sequence(Attributes.NULL_VALUE, 0))));
        AppendResult again = get(store.append(SEG, Append.of(entry("x")).withCondition(sequence(Attributes.NULL_VALUE, 0))));
        assertEquals(-7, again.baseOffset());
        assertEquals(1, next(), "the duplicate added nothing");
    }

    @Test
    void aRejectingConditionFailsTheAppendWithItsReasonAndWritesNothing() {
        ConditionFailedException e = failure(store.append(SEG, Append.of(entry("x"))
                .withAttributeUpdates(List.of(AttributeUpdate.replace(B, 5))).withCondition(sequence(3, 4))),
                ConditionFailedException.class);
        assertEquals(Attributes.NULL_VALUE, e.reason());
        assertEquals(0, next());
        assertEquals(Attributes.NULL_VALUE, attr(B), "nothing of a rejected append is applied");
    }

    @Test
    void attributesUnderOnePrefixAreListedInIdOrder() {
        long base = 3L << 60;
        get(store.append(SEG, new Append(List.of(), Append.ANY_OFFSET, List.of(AttributeUpdate.replace(base + 5, 50),
                AttributeUpdate.replace(base + 1, 10), AttributeUpdate.replace(base - 1, 99),
                AttributeUpdate.replace(base + (1L << 60), 77)))));
        assertEquals(new java.util.TreeMap<>(Map.of(base + 1, 10L, base + 5, 50L)),
                get(store.getAttributeRange(SEG, base, base + (1L << 60))));
    }
}
