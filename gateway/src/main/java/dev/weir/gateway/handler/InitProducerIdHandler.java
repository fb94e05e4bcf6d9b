package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * InitProducerId for idempotent producers: a producer id never handed out before, epoch 0, as Kafka
 * does for a producer without a transactional id. Transactional ids need the transaction
 * coordinator, which this gateway does not have yet.
 */
public final class InitProducerIdHandler implements ApiHandler {
    private final TopicCatalog catalog;

    public InitProducerIdHandler(TopicCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.INIT_PRODUCER_ID, 0, 5));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        InitProducerIdRequest req = (InitProducerIdRequest) request;
        if (req.data().transactionalId() != null) {
            return CompletableFuture.completedFuture(new InitProducerIdResponse(new InitProducerIdResponseData()
                    .setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setProducerId(-1).setProducerEpoch((short) -1)));
        }
        return catalog.nextProducerId().thenApply(id -> new InitProducerIdResponse(new InitProducerIdResponseData()
                .setErrorCode(Errors.NONE.code()).setProducerId(id).setProducerEpoch((short) 0)));
    }
}
