package dev.weir.gateway.security;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;

/**
 * SaslHandshake and SaslAuthenticate where no authentication is under way: on a listener without
 * SASL, or a SaslAuthenticate after authentication completed. Kafka answers both with
 * ILLEGAL_SASL_STATE. The authentication itself is {@link ConnectionAuth}'s, before any handler.
 */
public final class SaslApisHandler implements ApiHandler {

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.SASL_HANDSHAKE, 0, 1), ApiSupport.of(ApiKeys.SASL_AUTHENTICATE, 0, 2));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof SaslHandshakeRequest) {
            return CompletableFuture.completedFuture(new SaslHandshakeResponse(
                    new SaslHandshakeResponseData().setErrorCode(Errors.ILLEGAL_SASL_STATE.code())));
        }
        return CompletableFuture.completedFuture(new SaslAuthenticateResponse(new SaslAuthenticateResponseData()
                .setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                .setErrorMessage("SaslAuthenticate request received after successful authentication")));
    }
}
