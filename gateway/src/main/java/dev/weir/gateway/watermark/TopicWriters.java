package dev.weir.gateway.watermark;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The writers of one topic that note time, and Pravega's controller algorithm over them
 * ({@code PeriodicWatermarking}): writers silent past the timeout drop out; a new mark is due only
 * when every remaining writer has noted a time past the previous mark's lower bound; its lower and
 * upper bounds are the least and greatest noted times, and its stream cut the least upper bound of
 * the writers' positions, joined with the previous cut so that it never goes back.
 *
 * <p>A Kafka producer orders its records per partition only: a batch for one partition may land
 * after a later batch for another. So a writer's time is kept per partition it writes, and the
 * writer counts as having reached the least of those times; each (writer, partition) drops out on
 * its own once silent.
 *
 * <p>Not thread-safe: {@link WatermarkService} guards it.
 */
final class TopicWriters {
    /** Where a writer's noted writes to one partition ended, the latest time it noted there, and when. */
    private static final class PartitionMark {
        long time = Long.MIN_VALUE;
        long nextOffset;
        long lastNoteMs;
    }

    private record WriterPartition(String writer, int partition) {
    }

    private final Map<WriterPartition, PartitionMark> marks = new HashMap<>();
    /**
     * Positions of writers that dropped out since the last mark. Pravega forgets them; keeping them in
     * the next cut means a consumer past a mark has also read everything a dropped writer wrote.
     */
    private final Map<Integer, Long> retired = new HashMap<>();

    /**
     * Records that a writer noted {@code time}, and that its write to {@code partition} ended before
     * {@code nextOffset}. Times and positions only move forward: a regression is kept at the maximum.
     */
    void note(String writer, long time, int partition, long nextOffset, long nowMs) {
        PartitionMark mark = marks.computeIfAbsent(new WriterPartition(writer, partition), w -> new PartitionMark());
        mark.time = Math.max(mark.time, time);
        mark.nextOffset = Math.max(mark.nextOffset, nextOffset);
        mark.lastNoteMs = Math.max(mark.lastNoteMs, nowMs);
    }

    boolean isEmpty() {
        return marks.isEmpty();
    }

    /**
     * The next mark, if one is due: drops writers silent for longer than {@code timeoutMs}, then
     * applies the algorithm. {@code previous} is null before the topic's first mark.
     */
    Optional<TimeWatermark> next(String topic, TimeWatermark previous, int partitions, long nowMs, long timeoutMs) {
        for (Iterator<Map.Entry<WriterPartition, PartitionMark>> it = marks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<WriterPartition, PartitionMark> e = it.next();
            if (nowMs - e.getValue().lastNoteMs > timeoutMs) {
                retired.merge(e.getKey().partition(), e.getValue().nextOffset, Math::max);
                it.remove();
            }
        }
        if (marks.isEmpty()) {
            return Optional.empty();
        }
        long lower = Long.MAX_VALUE;
        long upper = Long.MIN_VALUE;
        Map<Integer, Long> positions = new HashMap<>(retired);
        for (Map.Entry<WriterPartition, PartitionMark> e : marks.entrySet()) {
            PartitionMark m = e.getValue();
            if (previous != null && m.time <= previous.lowerTimeBound()) {
                return Optional.empty(); // an active writer has not yet passed the previous mark: wait for it
            }
            lower = Math.min(lower, m.time);
            upper = Math.max(upper, m.time);
            positions.merge(e.getKey().partition(), m.nextOffset, Math::max);
        }
        TreeMap<Integer, Long> cut = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            long before = previous == null ? 0 : previous.streamCut().getOrDefault(p, 0L);
            cut.put(p, Math.max(before, positions.getOrDefault(p, 0L)));
        }
        if (previous != null) {
            upper = Math.max(upper, previous.upperTimeBound()); // it bounds every time noted up to the cut
        }
        return Optional.of(new TimeWatermark(topic, lower, upper, cut));
    }

    /** The mark was published: the retired positions are part of its cut now. */
    void published() {
        retired.clear();
    }
}
