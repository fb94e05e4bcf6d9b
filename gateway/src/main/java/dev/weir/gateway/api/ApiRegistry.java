package dev.weir.gateway.api;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;

/** Which handler serves which API; the single source of the ApiVersions advertisement. */
public final class ApiRegistry {
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final Map<ApiKeys, ApiSupport> support = new EnumMap<>(ApiKeys.class);

    public ApiRegistry register(ApiHandler handler) {
        for (ApiSupport s : handler.apis()) {
            if (handlers.putIfAbsent(s.key(), handler) != null) {
                throw new IllegalStateException(s.key() + " registered twice");
            }
            support.put(s.key(), s);
        }
        return this;
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
