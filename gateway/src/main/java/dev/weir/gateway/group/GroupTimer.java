package dev.weir.gateway.group;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Runs a task after a delay; the coordinator's only source of time, so tests can drive it by hand. */
interface GroupTimer {

    /** Schedules {@code task}; the returned action cancels it if it has not run. */
    Runnable schedule(long delayMs, Runnable task);

    static GroupTimer of(ScheduledExecutorService executor) {
        return (delayMs, task) -> {
            ScheduledFuture<?> f = executor.schedule(task, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
            return () -> f.cancel(false);
        };
    }
}
