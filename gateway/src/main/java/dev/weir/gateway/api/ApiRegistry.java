package dev.weir.gateway.api;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which handler serves which API; the single source of the ApiVersions advertisement. When a
 * Kafka release is emulated, each API is served within that release's range only, and an API the
 * release lacked is not served at all: the dispatcher treats it as unknown.
 */
public final class ApiRegistry {
    private static final Logger log = LoggerFactory.getLogger(ApiRegistry.class);

    private final KafkaEmulation emulation;
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final Map<ApiKeys, ApiSupport> support = new EnumMap<>(ApiKeys.class);

    public ApiRegistry() {
        this(KafkaEmulation.off());
    }

    public ApiRegistry(KafkaEmulation emulation) {
        this.emulation = emulation;
    }

    public ApiRegistry register(ApiHandler handler) {
        for (ApiSupport s : handler.apis()) {
            if (handlers.containsKey(s.key())) {
                throw new IllegalStateException(s.key() + " registered twice");
            }
            Optional<ApiSupport> served = emulation.clamp(s);
            if (served.isEmpty()) {
                emulation.releaseRange(s.key()).ifPresent(r -> log.warn("Kafka {} advertised {} {}-{}, which Weir "
                        + "cannot serve (Weir: {}-{}); left out", emulation.release(), s.key(), r[0], r[1],
                        s.minVersion(), s.maxVersion()));
                continue;
            }
            handlers.put(s.key(), emulation.unserved(s.key()) ? unsupportedVersion() : handler);
            support.put(s.key(), served.get());
        }
        return this;
    }

    public KafkaEmulation emulation() {
        return emulation;
    }

    /** How an emulated release answered an API it advertised but left disabled by default. */
    private static ApiHandler unsupportedVersion() {
        return new ApiHandler() {
            @Override
            public List<ApiSupport> apis() {
                return List.of();
            }

            @Override
            public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
                return CompletableFuture.completedFuture(request.getErrorResponse(0, Errors.UNSUPPORTED_VERSION.exception()));
            }
        };
    }

    /** Tells every handler that a connection closed. */
    public void connectionClosed(String connectionId) {
        new java.util.LinkedHashSet<>(handlers.values()).forEach(h -> h.connectionClosed(connectionId));
    }

    public ApiHandler handler(ApiKeys key) {
        return handlers.get(key);
    }

    public ApiSupport support(ApiKeys key) {
        return support.get(key);
    }

    public Collection<ApiSupport> all() {
        return Collections.unmodifiableCollection(support.values());
    }

    /**
     * The ApiVersions list. Produce is advertised from version 0 although only 3+ is served, as
     * Kafka 4 does (KAFKA-18659): old librdkafka refuses compressed produce unless v0 is listed.
     * (Every release that can be emulated advertised Produce from 0 as well.)
     */
    public ApiVersionCollection advertised() {
        ApiVersionCollection out = new ApiVersionCollection();
        for (ApiSupport s : support.values()) {
            short min = s.key() == ApiKeys.PRODUCE ? 0 : s.minVersion();
            out.add(new ApiVersion().setApiKey(s.key().id).setMinVersion(min).setMaxVersion(s.maxVersion()));
        }
        return out;
    }

    public List<ApiKeys> keys() {
        return List.copyOf(support.keySet());
    }
}
