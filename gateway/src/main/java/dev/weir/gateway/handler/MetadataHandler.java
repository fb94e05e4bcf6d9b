package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Metadata: this node leads every partition. Topics carry their durable ids; a missing topic is
 * created when auto-creation is on and the client allows it. Leader epochs are reported as -1
 * (unknown), consistently, so clients skip leader-epoch validation.
 */
public final class MetadataHandler implements ApiHandler {
    private final BrokerIdentity broker;
    private final TopicCatalog catalog;
    private final TopicAutoCreator autoCreator;

    public MetadataHandler(BrokerIdentity broker, TopicCatalog catalog, TopicAutoCreator autoCreator) {
        this.broker = broker;
        this.catalog = catalog;
        this.autoCreator = autoCreator;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.METADATA, 0, 13));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        MetadataRequest req = (MetadataRequest) request;
        short version = context.apiVersion();
        List<CompletableFuture<MetadataResponseTopic>> topics = new ArrayList<>();
        if (req.isAllTopics()) {
            for (TopicMeta t : catalog.all()) {
                topics.add(CompletableFuture.completedFuture(describe(t)));
            }
        } else {
            for (MetadataRequestData.MetadataRequestTopic rt : req.data().topics()) {
                topics.add(resolve(rt, req.allowAutoTopicCreation()));
            }
        }
        return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new)).thenApply(v -> {
            MetadataResponseData data = new MetadataResponseData()
                    .setClusterId(broker.clusterId())
                    .setControllerId(broker.nodeId());
            BrokerIdentity.Endpoint endpoint = broker.endpoint(context);
            data.brokers().add(new MetadataResponseData.MetadataResponseBroker()
                    .setNodeId(broker.nodeId()).setHost(endpoint.host()).setPort(endpoint.port()));
            for (CompletableFuture<MetadataResponseTopic> t : topics) {
                data.topics().add(t.join());
            }
            return new MetadataResponse(data, version);
        });
    }

    private CompletableFuture<MetadataResponseTopic> resolve(MetadataRequestData.MetadataRequestTopic rt,
                                                             boolean clientAllowsAutoCreate) {
        Uuid id = rt.topicId();
        if (rt.name() == null || (rt.name().isEmpty() && id != null && !Uuid.ZERO_UUID.equals(id))) {
            return CompletableFuture.completedFuture(catalog.byId(id).map(this::describe)
                    .orElseGet(() -> error(null, id, Errors.UNKNOWN_TOPIC_ID)));
        }
        String name = rt.name();
        var existing = catalog.byName(name);
        if (existing.isPresent()) {
            return CompletableFuture.completedFuture(describe(existing.get()));
        }
        try {
            Topic.validate(name);
        } catch (InvalidTopicException e) {
            return CompletableFuture.completedFuture(error(name, Uuid.ZERO_UUID, Errors.INVALID_TOPIC_EXCEPTION));
        }
        if (!autoCreator.enabled() || !clientAllowsAutoCreate) {
            return CompletableFuture.completedFuture(error(name, Uuid.ZERO_UUID, Errors.UNKNOWN_TOPIC_OR_PARTITION));
        }
        return autoCreator.getOrCreate(name)
                .thenApply(this::describe)
                .exceptionally(e -> error(name, Uuid.ZERO_UUID, KafkaErrors.of(e)));
    }

    private static MetadataResponseTopic error(String name, Uuid id, Errors error) {
        return new MetadataResponseTopic().setName(name).setTopicId(id).setErrorCode(error.code());
    }

    MetadataResponseTopic describe(TopicMeta topic) {
        MetadataResponseTopic t = new MetadataResponseTopic()
                .setName(topic.name())
                .setTopicId(topic.id())
                .setIsInternal(TopicCatalog.isInternal(topic.name()))
                .setErrorCode(Errors.NONE.code());
        List<Integer> replicas = List.of(broker.nodeId());
        for (int p = 0; p < topic.partitions(); p++) {
            t.partitions().add(new MetadataResponsePartition()
                    .setPartitionIndex(p)
                    .setErrorCode(Errors.NONE.code())
                    .setLeaderId(broker.nodeId())
                    .setLeaderEpoch(-1)
                    .setReplicaNodes(replicas)
                    .setIsrNodes(replicas)
                    .setOfflineReplicas(List.of()));
        }
        return t;
    }
}
