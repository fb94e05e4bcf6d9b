package dev.weir.embedded;

import dev.weir.gateway.net.RequestHook;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Fault injection and the request log of an {@link EmbeddedWeir}: the idea of franz-go's kfake
 * controls, inside the real broker rather than a mock of one.
 *
 * <pre>{@code
 * weir.faults().on(ApiKeys.PRODUCE).once().respond(Errors.NOT_LEADER_OR_FOLLOWER);
 * weir.faults().on(ApiKeys.FETCH).topic("orders").delay(Duration.ofMillis(300));
 * weir.faults().on(ApiKeys.PRODUCE).clientId("billing").once().dropAfterApply();
 * assertTrue(weir.faults().requests(ApiKeys.PRODUCE).size() >= 2);
 * }</pre>
 *
 * <p>Thread-safe. Every request gets an entry in the request log; while no rule is registered,
 * matching costs it one volatile read. A standalone gateway has none of this.
 */
public final class Faults {
    /** The request log keeps the latest this many. */
    public static final int LOG_CAPACITY = 100_000;
    private static final FaultRule[] NO_RULES = new FaultRule[0];

    private volatile FaultRule[] rules = NO_RULES;
    private final ArrayDeque<RecordedRequest> log = new ArrayDeque<>();
    final RequestHook hook = this::onRequest;

    Faults() {
    }

    /** Starts a rule on requests of {@code apiKey}; narrow it, then give its action. */
    public FaultRule.Builder on(ApiKeys apiKey) {
        return new FaultRule.Builder(this, apiKey);
    }

    /** Removes every rule. */
    public synchronized void clear() {
        rules = NO_RULES;
    }

    /** Rules still registered, in the order they are tried. */
    public List<FaultRule> rules() {
        return List.of(rules);
    }

    /** Every request seen (the latest {@link #LOG_CAPACITY}), in arrival order. */
    public List<RecordedRequest> requests() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** The requests seen of one API. */
    public List<RecordedRequest> requests(ApiKeys apiKey) {
        return requests(r -> r.apiKey() == apiKey);
    }

    public List<RecordedRequest> requests(Predicate<RecordedRequest> filter) {
        synchronized (log) {
            return log.stream().filter(filter).toList();
        }
    }

    /** Forgets the requests seen so far. */
    public void clearRequests() {
        synchronized (log) {
            log.clear();
        }
    }

    synchronized FaultRule add(FaultRule rule) {
        FaultRule[] next = Arrays.copyOf(rules, rules.length + 1);
        next[rules.length] = rule;
        rules = next;
        return rule;
    }

    synchronized void remove(FaultRule rule) {
        List<FaultRule> next = new ArrayList<>(Arrays.asList(rules));
        if (next.remove(rule)) {
            rules = next.toArray(FaultRule[]::new);
        }
    }

    boolean contains(FaultRule rule) {
        return Arrays.asList(rules).contains(rule);
    }

    private RequestHook.Verdict onRequest(RequestContext context, AbstractRequest request, Map<Uuid, String> names) {
        FaultRule[] current = rules;
        ApiKeys key = context.header.apiKey();
        RequestTopics topics = RequestTopics.of(request, names);
        FaultRule acting = null;
        for (FaultRule rule : current) {
            if (rule.claim(key, context.clientId(), topics)) {
                acting = rule;
                break;
            }
        }
        record(new RecordedRequest(key, context.header.apiVersion(), context.clientId(), context.correlationId(),
                context.connectionId, topics.topics(), topics.partitions(), acting == null ? null : acting.action));
        if (acting == null) {
            return RequestHook.Verdict.PASS;
        }
        return switch (acting.action) {
            case PASS -> RequestHook.Verdict.PASS;
            case DELAY -> new RequestHook.Verdict.Apply(null, null, acting.delay, false);
            case DROP_BEFORE_APPLY -> new RequestHook.Verdict.Drop();
            case DROP_AFTER_APPLY -> new RequestHook.Verdict.Apply(null, null, Duration.ZERO, true);
            case ERROR -> error(acting, request, names);
        };
    }

    private void record(RecordedRequest seen) {
        synchronized (log) {
            if (log.size() == LOG_CAPACITY) {
                log.poll();
            }
            log.add(seen);
        }
    }

    private static RequestHook.Verdict error(FaultRule rule, AbstractRequest request, Map<Uuid, String> names) {
        if (request instanceof ProduceRequest produce) {
            return produceError(rule, produce, names);
        }
        return new RequestHook.Verdict.Answer(request.getErrorResponse(0, rule.error.exception()), Duration.ZERO);
    }

    /**
     * The partitions the rule names get its error as a real broker's partition-level error, without
     * being appended; the request's other partitions are served as usual and their answers merged in.
     */
    private static RequestHook.Verdict produceError(FaultRule rule, ProduceRequest request, Map<Uuid, String> names) {
        ProduceRequestData rest = request.data().duplicate();
        ProduceResponseData failed = new ProduceResponseData();
        for (TopicProduceData t : List.copyOf(rest.topicData())) {
            String name = t.name() != null && !t.name().isEmpty() ? t.name() : names.get(t.topicId());
            TopicProduceResponse response = null;
            for (var p : List.copyOf(t.partitionData())) {
                boolean hit = rule.topic == null
                        || (rule.topic.equals(name) && (rule.partition < 0 || rule.partition == p.index()));
                if (!hit) {
                    continue;
                }
                if (response == null) {
                    response = new TopicProduceResponse().setName(t.name()).setTopicId(t.topicId());
                    failed.responses().add(response);
                }
                response.partitionResponses().add(new PartitionProduceResponse().setIndex(p.index())
                        .setErrorCode(rule.error.code()).setErrorMessage(rule.error.message())
                        .setBaseOffset(ProduceResponse.INVALID_OFFSET).setLogAppendTimeMs(-1)
                        .setLogStartOffset(ProduceResponse.INVALID_OFFSET));
                t.partitionData().remove(p);
            }
            if (t.partitionData().isEmpty()) {
                rest.topicData().remove(t);
            }
        }
        if (rest.topicData().isEmpty()) {
            return new RequestHook.Verdict.Answer(new ProduceResponse(failed), Duration.ZERO);
        }
        ProduceRequest remainder = new ProduceRequest(rest, request.version());
        return new RequestHook.Verdict.Apply(remainder, served -> merge(served, failed), Duration.ZERO, false);
    }

    private static AbstractResponse merge(AbstractResponse served, ProduceResponseData failed) {
        if (!(served instanceof ProduceResponse produce)) {
            return served;
        }
        for (TopicProduceResponse f : failed.responses()) {
            TopicProduceResponse into = null;
            for (TopicProduceResponse t : produce.data().responses()) {
                if (Objects.equals(t.name(), f.name()) && Objects.equals(t.topicId(), f.topicId())) {
                    into = t;
                }
            }
            if (into == null) {
                produce.data().responses().add(f.duplicate());
            } else {
                for (PartitionProduceResponse p : f.partitionResponses()) {
                    into.partitionResponses().add(p.duplicate());
                }
            }
        }
        return produce;
    }
}
