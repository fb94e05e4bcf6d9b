package dev.weir.embedded;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * A fault registered on an API (kfake's control idea): requests it matches get its action, once,
 * {@code n} times, or until {@link #remove()}. Rules are tried in the order they were registered;
 * the first that matches acts, the others are not consulted.
 */
public final class FaultRule {
    /** What a rule does to a request it matches. */
    public enum Action {
        /** Not applied; answered with an error code (at partition level when the rule names a topic). */
        ERROR,
        /** Applied; the answer leaves after a delay. */
        DELAY,
        /** Not applied; the connection closes before it is. */
        DROP_BEFORE_APPLY,
        /** Applied; the connection closes instead of answering. */
        DROP_AFTER_APPLY,
        /** Served as usual (lets a later rule act on the next request). */
        PASS
    }

    final ApiKeys apiKey;
    final String clientId;
    final String topic;
    final int partition;
    final Action action;
    final Errors error;
    final Duration delay;
    private final Faults owner;
    /** Uses left; negative: unlimited. */
    private final AtomicInteger remaining;
    private final AtomicInteger hits = new AtomicInteger();

    private FaultRule(Builder b, Action action, Errors error, Duration delay) {
        this.owner = b.owner;
        this.apiKey = b.apiKey;
        this.clientId = b.clientId;
        this.topic = b.topic;
        this.partition = b.partition;
        this.remaining = new AtomicInteger(b.times);
        this.action = action;
        this.error = error;
        this.delay = delay;
    }

    /** Whether this rule matches the request, counting the use; false once its uses are spent. */
    boolean claim(ApiKeys key, String requestClientId, RequestTopics topics) {
        if (key != apiKey || (clientId != null && !clientId.equals(requestClientId))
                || (topic != null && !topics.names(topic, partition))) {
            return false;
        }
        while (true) {
            int left = remaining.get();
            if (left == 0) {
                return false;
            }
            if (left < 0 || remaining.compareAndSet(left, left - 1)) {
                hits.incrementAndGet();
                if (left == 1) {
                    owner.remove(this);
                }
                return true;
            }
        }
    }

    /** Requests this rule has acted on so far. */
    public int hits() {
        return hits.get();
    }

    /** Whether it will still act (not removed, uses left). */
    public boolean active() {
        return remaining.get() != 0 && owner.contains(this);
    }

    /** Stops it acting; requests after this pass. */
    public void remove() {
        owner.remove(this);
    }

    public Action action() {
        return action;
    }

    @Override
    public String toString() {
        return "FaultRule[" + apiKey + (clientId != null ? " client " + clientId : "")
                + (topic != null ? " " + topic + (partition >= 0 ? "-" + partition : "") : "") + ": " + action
                + (error != null ? " " + error : "") + (delay != null ? " " + delay.toMillis() + " ms" : "") + "]";
    }

    /** Narrows a rule, then registers it with one of the actions. */
    public static final class Builder {
        private final Faults owner;
        private final ApiKeys apiKey;
        private String clientId;
        private String topic;
        private int partition = -1;
        private int times = -1;

        Builder(Faults owner, ApiKeys apiKey) {
            this.owner = owner;
            this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        }

        /** Only requests whose header carries this client.id. */
        public Builder clientId(String clientId) {
            this.clientId = Objects.requireNonNull(clientId, "clientId");
            return this;
        }

        /** Only requests that name this topic. */
        public Builder topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /** Only requests that name this partition. */
        public Builder partition(String topic, int partition) {
            if (partition < 0) {
                throw new IllegalArgumentException("partition must not be negative: " + partition);
            }
            this.topic = Objects.requireNonNull(topic, "topic");
            this.partition = partition;
            return this;
        }

        /** Acts on the first matching request only. */
        public Builder once() {
            return times(1);
        }

        /** Acts on the first {@code n} matching requests (default: until removed). */
        public Builder times(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("times must be positive: " + n);
            }
            times = n;
            return this;
        }

        /**
         * Answers with {@code error} without applying the request. Given a topic or partition, a
         * Produce's matching partitions get it as a partition-level error and its other partitions
         * are served; other APIs answer the whole request with it (Kafka's error response for the
         * API, which carries it on every partition where the API has partitions).
         */
        public FaultRule respond(Errors error) {
            if (Objects.requireNonNull(error, "error") == Errors.NONE) {
                throw new IllegalArgumentException("NONE is not an error; use pass()");
            }
            return owner.add(new FaultRule(this, Action.ERROR, error, null));
        }

        /** Applies the request and sends its answer {@code delay} later. */
        public FaultRule delay(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("negative delay: " + delay);
            }
            return owner.add(new FaultRule(this, Action.DELAY, null, delay));
        }

        /** Closes the connection without applying the request. */
        public FaultRule dropBeforeApply() {
            return owner.add(new FaultRule(this, Action.DROP_BEFORE_APPLY, null, null));
        }

        /** Applies the request, then closes the connection instead of answering. */
        public FaultRule dropAfterApply() {
            return owner.add(new FaultRule(this, Action.DROP_AFTER_APPLY, null, null));
        }

        /** Serves the request as usual; with {@link #once()}/{@link #times}, lets the first requests through untouched. */
        public FaultRule pass() {
            return owner.add(new FaultRule(this, Action.PASS, null, null));
        }
    }
}
