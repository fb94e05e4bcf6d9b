package dev.weir.storage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Parked future reads of one container. A waiter for (segment, offset) completes when the
 * segment's next offset passes the offset, its start offset passes it, the segment is deleted,
 * the deadline passes or the store closes; never exceptionally once parked. Futures complete
 * outside the lock.
 */
final class SegmentWaiters {
    private final ScheduledExecutorService timer;
    private final Map<String, List<Waiter>> bySegment = new HashMap<>();
    private boolean closed;

    private static final class Waiter {
        final String segment;
        final long offset;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        ScheduledFuture<?> deadline;

        Waiter(String segment, long offset) {
            this.segment = segment;
            this.offset = offset;
        }
    }

    SegmentWaiters(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static boolean satisfied(SegmentMetadata m, long offset) {
        return m == null || m.nextOffset() > offset || m.startOffset() > offset;
    }

    /**
     * @param current the segment's published metadata; checked under the lock, so a commit
     *                published before {@link #segmentsChanged} runs is never missed
     */
    CompletableFuture<Void> await(String segment, long offset, Duration maxWait,
                                  Function<String, SegmentMetadata> current) {
        synchronized (this) {
            if (!closed) {
                SegmentMetadata m = current.apply(segment);
                if (m == null) {
                    return CompletableFuture.failedFuture(
                            new SegmentNotFoundException("segment " + segment + " does not exist"));
                }
                if (!satisfied(m, offset) && maxWait.compareTo(Duration.ZERO) > 0) {
                    Waiter w = new Waiter(segment, offset);
                    bySegment.computeIfAbsent(segment, s -> new ArrayList<>(2)).add(w);
                    w.deadline = timer.schedule(() -> expire(w), maxWait.toNanos(), TimeUnit.NANOSECONDS);
                    return w.future;
                }
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Wakes the waiters that the latest published state of these segments satisfies. */
    void segmentsChanged(Collection<String> segments, Set<String> deleted,
                         Function<String, SegmentMetadata> current) {
        List<Waiter> ready = null;
        synchronized (this) {
            for (String segment : segments) {
                List<Waiter> list = bySegment.get(segment);
                if (list == null) {
                    continue;
                }
                boolean wasDeleted = deleted.contains(segment);
                SegmentMetadata m = current.apply(segment);
                for (Iterator<Waiter> it = list.iterator(); it.hasNext(); ) {
                    Waiter w = it.next();
                    if (wasDeleted || satisfied(m, w.offset)) {
                        it.remove();
                        if (ready == null) {
                            ready = new ArrayList<>();
                        }
                        ready.add(w);
                    }
                }
                if (list.isEmpty()) {
                    bySegment.remove(segment);
                }
            }
        }
        if (ready != null) {
            for (Waiter w : ready) {
                w.deadline.cancel(false);
                w.future.complete(null);
            }
        }
    }

    /** Completes every waiter; later waits complete at once. */
    void closeAll() {
        List<Waiter> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            bySegment.values().forEach(all::addAll);
            bySegment.clear();
        }
        for (Waiter w : all) {
            w.deadline.cancel(false);
            w.future.complete(null);
        }
    }

    private void expire(Waiter w) {
        boolean removed;
        synchronized (this) {
            List<Waiter> list = bySegment.get(w.segment);
            removed = list != null && list.remove(w);
            if (removed) {
                if (list.isEmpty()) {
                    bySegment.remove(w.segment);
                }
            }
        }
        if (removed) {
            w.future.complete(null);
        }
    }
}
