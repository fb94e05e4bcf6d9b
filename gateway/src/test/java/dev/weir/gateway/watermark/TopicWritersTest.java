package dev.weir.gateway.watermark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Pravega's watermark algorithm as TopicWriters applies it: what a mark says and when one is due. */
class TopicWritersTest {
    private static final long TIMEOUT = 1000;

    private static TimeWatermark mark(long lower, long upper, Map<Integer, Long> cut) {
        return new TimeWatermark("t", lower, upper, new TreeMap<>(cut));
    }

    @Test
    void aMarkSpansTheWritersTimesAndItsCutIsWhereTheirNotedWritesEnded() {
        TopicWriters w = new TopicWriters();
        w.note("a", 100, 0, 10, 0);
        w.note("b", 140, 1, 7, 0);
        w.note("b", 150, 0, 12, 0);
        assertEquals(Optional.of(mark(100, 150, Map.of(0, 12L, 1, 7L, 2, 0L))), w.next("t", null, 3, 0, TIMEOUT));
    }

    @Test
    void noMarkIsDueUntilEveryActiveWriterHasPassedThePreviousLowerBound() {
        TopicWriters w = new TopicWriters();
        TimeWatermark previous = mark(100, 150, Map.of(0, 12L));
        w.note("a", 120, 0, 20, 0);
        w.note("b", 100, 0, 21, 0);
        assertEquals(Optional.empty(), w.next("t", previous, 1, 0, TIMEOUT), "b is still at the previous mark");
        w.note("b", 130, 0, 22, 10);
        assertEquals(Optional.of(mark(120, 150, Map.of(0, 22L))), w.next("t", previous, 1, 10, TIMEOUT),
                "the upper bound never falls below the previous one");
    }

    @Test
    void aWritersLaggingPartitionHoldsTheMarkBackBecauseKafkaOrdersRecordsPerPartitionOnly() {
        TopicWriters w = new TopicWriters();
        w.note("a", 200, 0, 5, 0);
        w.note("a", 150, 1, 3, 0);
        assertEquals(150, w.next("t", null, 2, 0, TIMEOUT).orElseThrow().lowerTimeBound());
    }

    @Test
    void aSilentWriterDropsOutAfterTheTimeoutButItsWritesStayBeforeTheCut() {
        TopicWriters w = new TopicWriters();
        TimeWatermark previous = mark(100, 100, Map.of(0, 0L, 1, 0L));
        w.note("silent", 90, 1, 40, 0);
        w.note("a", 300, 0, 10, 0);
        assertEquals(Optional.empty(), w.next("t", previous, 2, TIMEOUT, TIMEOUT), "not silent for longer than the timeout yet");
        w.note("a", 310, 0, 11, TIMEOUT + 1);
        TimeWatermark next = w.next("t", previous, 2, TIMEOUT + 1, TIMEOUT).orElseThrow();
        assertEquals(mark(310, 310, Map.of(0, 11L, 1, 40L)), next);
        w.published();
        w.note("a", 320, 0, 12, TIMEOUT + 2);
        assertEquals(Map.of(0, 12L, 1, 40L), w.next("t", next, 2, TIMEOUT + 2, TIMEOUT).orElseThrow().streamCut(),
                "the cut never goes back once the dropped writer's position is part of it");
    }

    @Test
    void timesAndPositionsOnlyMoveForward() {
        TopicWriters w = new TopicWriters();
        w.note("a", 200, 0, 50, 0);
        w.note("a", 100, 0, 40, 1);
        assertEquals(Optional.of(mark(200, 200, Map.of(0, 50L))), w.next("t", null, 1, 1, TIMEOUT));
    }

    @Test
    void aMarkRoundTripsThroughItsPublicJson() throws Exception {
        TimeWatermark m = mark(5, 9, Map.of(0, 3L, 1, 4L));
        String json = new String(m.toJson(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("{\"topic\":\"t\",\"lowerTimeBound\":5,\"upperTimeBound\":9,\"streamCut\":{\"0\":3,\"1\":4}}", json);
        assertEquals(m, TimeWatermark.fromJson(m.toJson()));
    }
}
