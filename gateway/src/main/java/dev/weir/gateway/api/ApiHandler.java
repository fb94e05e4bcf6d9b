package dev.weir.gateway.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Serves one family of Kafka APIs. The versions a handler declares are exactly what ApiVersions
 * advertises; adding an API means one handler and one line of registration.
 */
public interface ApiHandler {

    /** The APIs this handler serves, each with its supported version range. */
    List<ApiSupport> apis();

    /**
     * Handles one parsed request. The future completes with the response, or with {@code null} when
     * the client expects none (Produce with acks=0). Exceptions map to the request's error response.
     */
    CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request);

    /** A client connection closed (its id as in {@code RequestContext.connectionId}); most handlers keep nothing per connection. */
    default void connectionClosed(String connectionId) {
    }
}
