package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
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
import org.apache.kafka.common.resource.ResourceType;

/**
 * Metadata: this node leads every partition. Topics carry their durable ids; a missing topic is
 * created when auto-creation is on and the client allows it. Leader epochs are reported as -1
 * (unknown), consistently, so clients skip leader-epoch validation.
 */
public final class MetadataHandler implements ApiHandler {
    private final BrokerIdentity broker;
    private final TopicCatalog catalog;
    private final TopicAutoCreator autoCreator;
    private final Access access;

    public MetadataHandler(BrokerIdentity broker, TopicCatalog catalog, TopicAutoCreator autoCreator, Access access) {
        this.broker = broker;
        this.catalog = catalog;
        this.autoCreator = autoCreator;
        this.access = access;
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
        // As Kafka: topics the principal may not DESCRIBE are left out of an all-topics answer, and
        // answered TOPIC_AUTHORIZATION_FAILED (after the others) when named; so is a missing topic whose
        // auto-creation it may not CREATE.
        List<MetadataResponseTopic> refused = new ArrayList<>();
        if (req.isAllTopics()) {
            List<TopicMeta> all = new ArrayList<>(catalog.all());
            Set<String> describable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                    all.stream().map(TopicMeta::name).toList(), false);
            for (TopicMeta t : all) {
                if (describable.contains(t.name())) {
                    topics.add(CompletableFuture.completedFuture(describe(t)));
                }
            }
        } else {
            List<String> named = new ArrayList<>();
            for (MetadataRequestData.MetadataRequestTopic rt : req.data().topics()) {
                if (byId(rt)) {
                    catalog.byId(rt.topicId()).ifPresent(t -> named.add(t.name()));
                } else {
                    named.add(rt.name());
                }
            }
            Set<String> describable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC, named, true);
            for (MetadataRequestData.MetadataRequestTopic rt : req.data().topics()) {
                if (byId(rt)) {
                    var topic = catalog.byId(rt.topicId());
                    if (topic.isPresent() && !describable.contains(topic.get().name())) {
                        refused.add(error(null, rt.topicId(), Errors.TOPIC_AUTHORIZATION_FAILED));
                        continue;
                    }
                } else if (!describable.contains(rt.name())) {
                    refused.add(error(rt.name(), Uuid.ZERO_UUID, Errors.TOPIC_AUTHORIZATION_FAILED)
                            .setIsInternal(TopicCatalog.isInternal(rt.name())));
                    continue;
                }
                topics.add(resolve(context, rt, req.allowAutoTopicCreation(), refused));
            }
        }
        boolean topicOperations = version >= 8 && req.data().includeTopicAuthorizedOperations();
        boolean clusterOperations = version >= 8 && version <= 10 && req.data().includeClusterAuthorizedOperations();
        return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new)).thenApply(v -> {
            MetadataResponseData data = new MetadataResponseData()
                    .setClusterId(broker.clusterId())
                    .setControllerId(broker.controllerId());
            for (BrokerIdentity.Node n : broker.nodes(context)) {
                data.brokers().add(new MetadataResponseData.MetadataResponseBroker()
                        .setNodeId(n.id()).setHost(n.endpoint().host()).setPort(n.endpoint().port()));
            }
            for (CompletableFuture<MetadataResponseTopic> t : topics) {
                MetadataResponseTopic topic = t.join();
                if (topic == null) {
                    continue;
                }
                if (topicOperations && topic.errorCode() == Errors.NONE.code()) {
                    topic.setTopicAuthorizedOperations(access.operations(context, ResourceType.TOPIC, topic.name()));
                }
                data.topics().add(topic);
            }
            refused.forEach(data.topics()::add);
            if (clusterOperations) {
                data.setClusterAuthorizedOperations(access.operations(context, ResourceType.CLUSTER, Access.CLUSTER));
            }
            return new MetadataResponse(data, version);
        });
    }

    private static boolean byId(MetadataRequestData.MetadataRequestTopic rt) {
        Uuid id = rt.topicId();
        return rt.name() == null || (rt.name().isEmpty() && id != null && !Uuid.ZERO_UUID.equals(id));
    }

    private CompletableFuture<MetadataResponseTopic> resolve(RequestContext context,
                                                             MetadataRequestData.MetadataRequestTopic rt,
                                                             boolean clientAllowsAutoCreate,
                                                             List<MetadataResponseTopic> refused) {
        Uuid id = rt.topicId();
        if (byId(rt)) {
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
        if (!access.allowedQuietly(context, AclOperation.CREATE, ResourceType.CLUSTER, Access.CLUSTER)
                && !access.allowed(context, AclOperation.CREATE, ResourceType.TOPIC, name)) {
            // An unauthorized auto-creation creates nothing.
            refused.add(error(name, Uuid.ZERO_UUID, Errors.TOPIC_AUTHORIZATION_FAILED));
            return CompletableFuture.completedFuture(null);
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
        for (int p = 0; p < topic.partitions(); p++) {
            String segment = topic.segment(p);
            int leader = broker.leaderOf(segment);
            t.partitions().add(new MetadataResponsePartition()
                    .setPartitionIndex(p)
                    // while its container elects a leader, as Kafka: LEADER_NOT_AVAILABLE, leader -1
                    .setErrorCode(leader < 0 ? Errors.LEADER_NOT_AVAILABLE.code() : Errors.NONE.code())
                    .setLeaderId(leader)
                    .setLeaderEpoch(broker.leaderEpoch(segment))
                    .setReplicaNodes(broker.replicas(segment))
                    .setIsrNodes(broker.inSyncReplicas(segment))
                    .setOfflineReplicas(List.of()));
        }
        return t;
    }
}
