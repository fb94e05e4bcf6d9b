package dev.weir.gateway.net;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Back-pressure, as Pravega's connections do it: the bytes of requests read but not yet answered,
 * per connection and in total. A connection over either limit stops reading its socket, so a client
 * faster than the disk waits in TCP instead of in the gateway's memory; it reads again once both are
 * below half their limits.
 */
final class QueuedBytes {
    private final long connectionLimit;
    private final long totalLimit;
    private final AtomicLong total = new AtomicLong();
    /** Connections paused while the total was over its limit; they resume when it falls. */
    private final Set<KafkaConnection> waitingForTotal = ConcurrentHashMap.newKeySet();
    private final Counter pauses;
    private final Counter paused;

    QueuedBytes(long connectionLimit, long totalLimit, MetricRegistry metrics) {
        this.connectionLimit = connectionLimit;
        this.totalLimit = totalLimit;
        this.pauses = metrics.counter("kafka.network.backpressure.pauses");
        this.paused = metrics.counter("kafka.network.backpressure.paused-connections");
        metrics.gauge("kafka.network.queued-request-bytes", () -> total::get);
    }

    /** Counts a request read by {@code connection}; true if the connection must stop reading. */
    boolean queued(KafkaConnection connection, long connectionQueued, int bytes) {
        long now = total.addAndGet(bytes);
        if (now > totalLimit) {
            waitingForTotal.add(connection);
            if (total.get() <= totalLimit / 2) {
                waitingForTotal.remove(connection); // it fell meanwhile: nobody else would wake us
                return connectionQueued > connectionLimit;
            }
            return true;
        }
        return connectionQueued > connectionLimit;
    }

    /** A request was answered; wakes the connections waiting for the total once it is below half. */
    void answered(int bytes) {
        long now = total.addAndGet(-bytes);
        if (now <= totalLimit / 2 && !waitingForTotal.isEmpty()) {
            for (KafkaConnection c : waitingForTotal.toArray(KafkaConnection[]::new)) {
                waitingForTotal.remove(c);
                c.resumeIfBelow();
            }
        }
    }

    boolean mayResume(long connectionQueued) {
        return connectionQueued <= connectionLimit / 2 && total.get() <= totalLimit / 2;
    }

    /** True if the connection's own bytes allow it to read; then only the total holds it back. */
    boolean connectionBelow(long connectionQueued) {
        return connectionQueued <= connectionLimit / 2;
    }

    /** Registers a paused connection to be woken when the total falls below half its limit. */
    void waitForTotal(KafkaConnection connection) {
        waitingForTotal.add(connection);
        if (total.get() <= totalLimit / 2 && waitingForTotal.remove(connection)) {
            connection.resumeIfBelow(); // it fell while we registered
        }
    }

    void forget(KafkaConnection connection) {
        waitingForTotal.remove(connection);
    }

    void pausedOne() {
        pauses.inc();
        paused.inc();
    }

    void resumedOne() {
        paused.dec();
    }
}
