package dev.weir.gateway.net;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiRegistry;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.metrics.KafkaMetrics;
import dev.weir.gateway.security.ConnectionAuth;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestAndSize;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a request frame with kafka-clients' message classes and hands it to its handler.
 * A request Kafka would drop the connection for (unparsable header, unknown API, unsupported
 * version other than ApiVersions) yields {@code null}: the caller closes the connection.
 */
public final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);

    private final ApiRegistry registry;
    /** Null for a standalone gateway: then no request pays for it beyond this null check. */
    private final RequestHook hook;
    private final Map<Uuid, String> topicNames;
    private final Map<ApiKeys, Timer> latency = new EnumMap<>(ApiKeys.class);
    private final Map<ApiKeys, Meter> errors = new EnumMap<>(ApiKeys.class);
    private final KafkaMetrics kafkaMetrics;
    final Meter bytesIn;
    final Meter bytesOut;

    /**
     * @param hook       consulted for every request before its handler, or null
     * @param topicNames names by id of every topic, a live view, for the hook
     */
    public RequestDispatcher(ApiRegistry registry, MetricRegistry metrics, KafkaMetrics kafkaMetrics,
                             RequestHook hook, Map<Uuid, String> topicNames) {
        this.registry = registry;
        this.kafkaMetrics = kafkaMetrics;
        this.hook = hook;
        this.topicNames = topicNames;
        for (ApiSupport s : registry.all()) {
            latency.put(s.key(), metrics.timer("kafka.request." + s.key().name + ".latency"));
            errors.put(s.key(), metrics.meter("kafka.request." + s.key().name + ".errors"));
        }
        bytesIn = metrics.meter("kafka.network.bytes-in");
        bytesOut = metrics.meter("kafka.network.bytes-out");
    }

    /**
     * A request in flight: its context (to encode the response) and its future response.
     * {@code answered} is false for an acks=0 produce: its response is computed (for its errors and
     * throttle time) but never sent. {@code closeAfter}: the connection closes once the answer is out;
     * {@code dropAnswer}: it closes instead of sending the answer (a fault injected by a {@link RequestHook}).
     */
    record InFlight(RequestContext context, CompletableFuture<AbstractResponse> response, boolean answered,
                    boolean closeAfter, boolean dropAnswer) {
        InFlight(RequestContext context, CompletableFuture<AbstractResponse> response, boolean answered) {
            this(context, response, answered, false, false);
        }

        InFlight(RequestContext context, CompletableFuture<AbstractResponse> response, boolean answered,
                 boolean closeAfter) {
            this(context, response, answered, closeAfter, false);
        }
    }


    /**
     * Parses and serves one request of a connection whose authentication state is {@code auth};
     * null when the connection must close without an answer.
     */
    /** A connection closed: handlers that keep state per connection (share sessions) let it go. */
    void connectionClosed(String connectionId) {
        try {
            registry.connectionClosed(connectionId);
        } catch (RuntimeException e) {
            log.warn("Cleaning up after connection {} failed: {}", connectionId, e.toString());
        }
    }

    InFlight dispatch(ByteBuffer frame, String connectionId, InetSocketAddress remote, ConnectionAuth auth) {
        bytesIn.mark(frame.remaining() + 4L);
        RequestHeader header;
        try {
            header = RequestHeader.parse(frame);
        } catch (RuntimeException e) {
            log.info("Closing connection {} from {}: unparsable request header ({})", connectionId, remote, e.getMessage());
            return null;
        }
        ApiKeys key = header.apiKey();
        ApiSupport support = registry.support(key);
        if (support == null) {
            log.info("Closing connection {} from {}: unsupported API {} (client {})", connectionId, remote, key,
                    header.clientId());
            return null;
        }
        if (!support.supports(header.apiVersion()) && key != ApiKeys.API_VERSIONS) {
            log.info("Closing connection {} from {}: {} version {} is not supported (supported {}-{}; client {})",
                    connectionId, remote, key, header.apiVersion(), support.minVersion(), support.maxVersion(),
                    header.clientId());
            return null;
        }
        long now = System.nanoTime();
        ConnectionAuth.Gate gate = auth.gate(key, support.supports(header.apiVersion()), now);
        if (gate == ConnectionAuth.Gate.CLOSE) {
            log.info("Closing connection {} from {} on listener {}: {}", connectionId, remote, auth.listener().name(),
                    auth.refusal());
            return null;
        }
        KafkaPrincipal principal = auth.principal() != null ? auth.principal() : KafkaPrincipal.ANONYMOUS;
        RequestContext context = new RequestContext(header, connectionId, remote.getAddress(),
                Optional.of(remote.getPort()), principal, auth.security().listenerName(), auth.listener().protocol(),
                ClientInformation.EMPTY, false);
        AbstractRequest request;
        try {
            RequestAndSize parsed = context.parseRequest(frame);
            request = parsed.request;
        } catch (RuntimeException e) {
            log.info("Closing connection {} from {}: malformed {} v{} request ({})", connectionId, remote, key,
                    header.apiVersion(), e.getMessage());
            return null;
        }
        // Kafka answers an ApiVersions it does not serve in the v0 body, which any client can read;
        // kafka-clients does so by itself only above its own latest version, not above an emulated one.
        RequestContext answerAs = context;
        if (key == ApiKeys.API_VERSIONS && !support.supports(header.apiVersion())) {
            answerAs = new RequestContext(new RequestHeader(key, (short) 0, header.clientId(), header.correlationId()),
                    connectionId, remote.getAddress(), Optional.of(remote.getPort()), principal,
                    auth.security().listenerName(), auth.listener().protocol(), ClientInformation.EMPTY, false);
        }
        if (gate == ConnectionAuth.Gate.REFUSE) {
            log.info("Closing connection {} from {} on listener {}: {}", connectionId, remote, auth.listener().name(),
                    auth.refusal());
            return new InFlight(answerAs, CompletableFuture.completedFuture(auth.refusalResponse(request)), true, true);
        }
        if (gate == ConnectionAuth.Gate.AUTHENTICATION) {
            ConnectionAuth.Reply reply = auth.handle(request, header.apiVersion(), now);
            return new InFlight(answerAs, CompletableFuture.completedFuture(reply.response()), true, reply.close());
        }
        RequestHook.Verdict verdict = hook == null ? RequestHook.Verdict.PASS : hook.onRequest(context, request, topicNames);
        boolean expectsAnswer = !(request instanceof ProduceRequest produce && produce.acks() == 0);
        if (verdict instanceof RequestHook.Verdict.Drop) {
            log.info("Closing connection {} from {}: {} v{} dropped by a request hook", connectionId, remote, key,
                    header.apiVersion());
            return null;
        }
        if (verdict instanceof RequestHook.Verdict.Answer answer) {
            return new InFlight(answerAs, delayed(CompletableFuture.completedFuture(answer.response()), answer.delay()),
                    expectsAnswer);
        }
        RequestHook.Verdict.Apply apply = (RequestHook.Verdict.Apply) verdict;
        CompletableFuture<AbstractResponse> answered = serve(context, apply.request() != null ? apply.request() : request);
        if (apply.response() != null) {
            answered = answered.thenApply(apply.response());
        }
        return new InFlight(answerAs, delayed(answered, apply.delay()), expectsAnswer, false, apply.dropAnswer());
    }

    private CompletableFuture<AbstractResponse> serve(RequestContext context, AbstractRequest request) {
        RequestHeader header = context.header;
        ApiKeys key = header.apiKey();
        Timer.Context timer = latency.get(key).time();
        ApiHandler handler = registry.handler(key);
        CompletableFuture<AbstractResponse> response;
        try {
            response = handler.handle(context, request);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        // Made on an API's first request (as Kafka makes RequestsPerSec per version): not at start.
        KafkaMetrics.RequestMetrics kafkaRequest = kafkaMetrics.request(key);
        // As Kafka: a fetch counts under Fetch and under FetchConsumer or FetchFollower.
        KafkaMetrics.RequestMetrics fetchKind = request instanceof FetchRequest fetch
                ? kafkaMetrics.fetch(fetch.isFromFollower()) : null;
        short version = header.apiVersion();
        return response.handle((r, failure) -> {
            long nanos = timer.stop();
            kafkaRequest.completed(version, nanos);
            if (fetchKind != null) {
                fetchKind.completed(version, nanos);
            }
            if (failure == null) {
                return r;
            }
            errors.get(key).mark();
            Errors error = KafkaErrors.of(failure);
            if (error == Errors.UNKNOWN_SERVER_ERROR) {
                log.error("{} v{} from {} failed", key, header.apiVersion(), header.clientId(), KafkaErrors.unwrap(failure));
            }
            return request.getErrorResponse(0, error.exception(KafkaErrors.message(failure)));
        });
    }

    private static CompletableFuture<AbstractResponse> delayed(CompletableFuture<AbstractResponse> response, Duration delay) {
        if (delay.isZero()) {
            return response;
        }
        Executor later = CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS);
        return response.thenApplyAsync(r -> r, later);
    }
}
