package dev.weir.gateway.quota;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Quota;
import org.apache.kafka.common.metrics.QuotaViolationException;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.utils.Time;

/**
 * Byte-rate quotas enforced as Kafka's brokers enforce them, with kafka-clients' sampled rates:
 * each client's bytes go into a rate over {@code quota.window.num} windows of
 * {@code quota.window.size.seconds}, and a client above its quota is told to wait
 * {@code (rate - quota) / quota * window}, which brings its average back to the quota. Clients
 * without a quota are not metered.
 */
public final class ByteRateQuotas implements AutoCloseable {
    /** Sensors of clients idle this long are dropped (Kafka: one hour). */
    private static final long INACTIVE_SENSOR_SECONDS = 3600;

    /** The two byte-rate quotas and the client request each meters. */
    public enum Kind {
        PRODUCE(ClientQuotas.PRODUCER_BYTE_RATE), FETCH(ClientQuotas.CONSUMER_BYTE_RATE);

        final String key;

        Kind(String key) {
            this.key = key;
        }
    }

    private final ClientQuotas quotas;
    private final Metrics metrics;
    private final int samples;
    private final int windowSeconds;

    public ByteRateQuotas(ClientQuotas quotas, int samples, int windowSeconds) {
        this.quotas = quotas;
        this.samples = samples;
        this.windowSeconds = windowSeconds;
        this.metrics = new Metrics(new MetricConfig(), List.of(), Time.SYSTEM, true);
    }

    /**
     * Records {@code bytes} of a request by {@code user}'s client {@code clientId} and returns how
     * long, in ms, the client must wait: 0 when no quota applies or the rate stays within it.
     */
    public int record(Kind kind, String user, String clientId, double bytes, long nowMs) {
        Meter m = meter(kind, user, clientId);
        if (m == null) {
            return 0;
        }
        try {
            m.sensor.record(bytes, nowMs, true);
            return 0;
        } catch (QuotaViolationException e) {
            long window = ((Rate) m.metric.measurable()).windowSize(m.metric.config(), nowMs);
            return (int) Math.min(Integer.MAX_VALUE, Math.round((e.value() - e.bound()) / e.bound() * window));
        }
    }

    /** Takes back bytes recorded for a response that is not sent (a throttled fetch answers empty). */
    public void unrecord(Kind kind, String user, String clientId, double bytes, long nowMs) {
        Meter m = meter(kind, user, clientId);
        if (m != null) {
            m.sensor.record(-bytes, nowMs, false);
        }
    }

    /** Whether a byte-rate quota applies to the client. */
    public boolean applies(Kind kind, String user, String clientId) {
        return quotas.limit(kind.key, user, clientId) != null;
    }

    /** The most one request may carry without certainly being throttled: the quota over the full window. */
    public double maxValueInWindow(Kind kind, String user, String clientId) {
        ClientQuotas.Match match = quotas.limit(kind.key, user, clientId);
        return match == null ? Double.MAX_VALUE : match.value() * (samples - 1) * windowSeconds;
    }

    private record Meter(Sensor sensor, KafkaMetric metric) {
    }

    /**
     * The client's rate, shared as Kafka shares it: by everyone the matched quota entity covers
     * (a user quota meters all the user's clients together), or null when no quota applies.
     */
    private Meter meter(Kind kind, String user, String clientId) {
        ClientQuotas.Match match = quotas.limit(kind.key, user, clientId);
        if (match == null) {
            return null;
        }
        String userTag = match.entity().hasUser() ? user : "";
        String clientTag = match.entity().hasClient() ? clientId : "";
        MetricName name = metrics.metricName("byte-rate", kind.name(), Map.of("user", userTag, "client-id", clientTag));
        MetricConfig config = new MetricConfig().timeWindow(windowSeconds, TimeUnit.SECONDS).samples(samples)
                .quota(Quota.upperBound(match.value()));
        Sensor sensor = metrics.sensor(kind + "-" + userTag + ":" + clientTag, config, INACTIVE_SENSOR_SECONDS);
        sensor.add(name, new Rate(), config); // no-op once added
        KafkaMetric metric = metrics.metric(name);
        if (metric == null) {
            return null; // expired between the two lookups: unmetered this once
        }
        if (metric.config().quota().bound() != match.value()) {
            metric.config(config); // the quota was altered since
        }
        return new Meter(sensor, metric);
    }

    @Override
    public void close() {
        metrics.close();
    }
}
