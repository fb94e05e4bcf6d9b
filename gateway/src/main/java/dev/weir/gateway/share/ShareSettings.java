package dev.weir.gateway.share;

/**
 * What governs one share group's records: the broker's {@code group.share.*} defaults, overridden by
 * the group's own configs ({@code share.record.lock.duration.ms}, {@code share.auto.offset.reset}, …).
 *
 * @param autoOffsetReset {@code latest}, {@code earliest} or {@code by_duration:<ISO-8601 duration>}
 */
public record ShareSettings(int lockDurationMs, int deliveryCountLimit, int maxInFlightRecords,
                            String autoOffsetReset, boolean readCommitted, int heartbeatIntervalMs,
                            int sessionTimeoutMs) {

    /** The settings of each group, looked up at each use (a config change applies to the next fetch). */
    public interface Source {
        ShareSettings of(String groupId);
    }
}
