package dev.weir.gateway.net;

import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Consulted for every parsed, authenticated request before its handler runs: what the gateway does
 * with it. For fault injection in tests (the embedded broker); a standalone gateway has none.
 */
@FunctionalInterface
public interface RequestHook {

    /**
     * Decides what happens to {@code request}. Called on the connection's event loop: must not block.
     *
     * @param topicNames names by id of every topic (requests of newer versions name topics by id)
     */
    Verdict onRequest(RequestContext context, AbstractRequest request, Map<Uuid, String> topicNames);

    /** What the gateway does with a request. */
    sealed interface Verdict {
        /** Served as usual. */
        Verdict PASS = new Apply(null, null, Duration.ZERO, false);

        /**
         * Served: {@code request} (or the original when null) goes to its handler, {@code response}
         * (when not null) rewrites the handler's answer, which leaves after {@code delay}; with
         * {@code dropAnswer} the connection closes instead of answering, once the request is applied.
         */
        record Apply(AbstractRequest request, UnaryOperator<AbstractResponse> response, Duration delay,
                     boolean dropAnswer) implements Verdict {
        }

        /** Not applied: {@code response} is the answer, after {@code delay}. */
        record Answer(AbstractResponse response, Duration delay) implements Verdict {
        }

        /** Not applied: the connection closes without an answer. */
        record Drop() implements Verdict {
        }
    }
}
