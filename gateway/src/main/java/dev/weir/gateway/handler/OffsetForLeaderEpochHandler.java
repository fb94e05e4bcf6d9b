package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/**
 * OffsetForLeaderEpoch. Weir reports every partition's leader epoch as -1 (unknown), so no epoch
 * a client asks about exists: the answer is Kafka's "undefined epoch" (-1, -1). Clients that see
 * -1 in Metadata never validate positions this way.
 */
public final class OffsetForLeaderEpochHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final Access access;

    public OffsetForLeaderEpochHandler(TopicCatalog catalog, Access access) {
        this.catalog = catalog;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.OFFSET_FOR_LEADER_EPOCH, 2, 4));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        OffsetsForLeaderEpochRequest req = (OffsetsForLeaderEpochRequest) request;
        OffsetForLeaderEpochResponseData data = new OffsetForLeaderEpochResponseData();
        java.util.Set<String> describable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                req.data().topics().stream().map(OffsetForLeaderTopic::topic).toList(), true);
        for (OffsetForLeaderTopic t : req.data().topics()) {
            OffsetForLeaderTopicResult tr = new OffsetForLeaderTopicResult().setTopic(t.topic());
            data.topics().add(tr);
            Optional<TopicMeta> topic = catalog.byName(t.topic());
            for (OffsetForLeaderPartition p : t.partitions()) {
                boolean known = topic.isPresent() && p.partition() >= 0 && p.partition() < topic.get().partitions();
                Errors error = !describable.contains(t.topic()) ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : known ? Errors.NONE : Errors.UNKNOWN_TOPIC_OR_PARTITION;
                tr.partitions().add(new EpochEndOffset().setPartition(p.partition())
                        .setErrorCode(error.code())
                        .setLeaderEpoch(-1).setEndOffset(-1));
            }
        }
        return CompletableFuture.completedFuture(new OffsetsForLeaderEpochResponse(data));
    }
}
