package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicConfigs;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** The topic lifecycle family: CreateTopics, DeleteTopics, CreatePartitions. */
public final class TopicAdminHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final TopicConfigs topicConfigs;
    private final int nodeId;
    /** Nodes in the cluster (1 when alone): every partition's replica count. */
    private int brokers = 1;
    private final int defaultPartitions;
    private final boolean deleteEnabled;
    private final Access access;

    /** In a cluster of {@code nodes}: replication factors up to it are accepted, and every node is a replica. */
    public TopicAdminHandler inCluster(int nodes) {
        this.brokers = nodes;
        return this;
    }

    public TopicAdminHandler(TopicCatalog catalog, TopicConfigs topicConfigs, int nodeId, int defaultPartitions,
                             boolean deleteEnabled, Access access) {
        this.access = access;
        this.catalog = catalog;
        this.topicConfigs = topicConfigs;
        this.nodeId = nodeId;
        this.defaultPartitions = defaultPartitions;
        this.deleteEnabled = deleteEnabled;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.CREATE_TOPICS, 2, 7),
                ApiSupport.of(ApiKeys.DELETE_TOPICS, 1, 6),
                ApiSupport.of(ApiKeys.CREATE_PARTITIONS, 0, 3));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof CreateTopicsRequest r) {
            return createTopics(context, r);
        }
        if (request instanceof DeleteTopicsRequest r) {
            return deleteTopics(context, r);
        }
        return createPartitions(context, (CreatePartitionsRequest) request);
    }

    private CompletableFuture<AbstractResponse> createTopics(RequestContext context, CreateTopicsRequest req) {
        boolean validateOnly = req.data().validateOnly();
        CreateTopicsResponseData data = new CreateTopicsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        // As Kafka: CREATE on the cluster, or else on each topic; the configs in the answer need DESCRIBE_CONFIGS.
        List<String> names = req.data().topics().stream().map(CreatableTopic::name).toList();
        java.util.Set<String> creatable = access.allowedQuietly(context, AclOperation.CREATE, ResourceType.CLUSTER,
                Access.CLUSTER) ? new java.util.HashSet<>(names)
                : access.filter(context, AclOperation.CREATE, ResourceType.TOPIC, names, true);
        java.util.Set<String> configsVisible = access.filter(context, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC,
                creatable, false);
        for (CreatableTopic t : req.data().topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(t.name()).setTopicId(Uuid.ZERO_UUID)
                    .setNumPartitions(-1).setReplicationFactor((short) -1);
            data.topics().add(result);
            if (!creatable.contains(t.name())) {
                setError(result, Errors.TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
                continue;
            }
            if (!configsVisible.contains(t.name())) {
                result.setTopicConfigErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
            }
            int partitions;
            Map<String, String> configs = new LinkedHashMap<>();
            try {
                Topic.validate(t.name());
                partitions = checkLayout(t);
                for (CreatableTopicConfig c : t.configs()) {
                    if (c.value() != null) {
                        configs.put(c.name(), c.value());
                    }
                }
                validateConfigs(configs);
                catalog.checkCreatable(t.name());
            } catch (ApiException e) {
                setError(result, Errors.forException(e), e.getMessage());
                continue;
            }
            if (validateOnly) {
                fill(result, new TopicMeta(t.name(), Uuid.ZERO_UUID, partitions, configs));
                continue;
            }
            all.add(catalog.create(t.name(), partitions, configs).handle((topic, e) -> {
                if (e != null) {
                    setError(result, KafkaErrors.of(e), KafkaErrors.message(e));
                } else {
                    fill(result, topic);
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new CreateTopicsResponse(data));
    }

    /** Partition count after Kafka's checks of count, replication factor and manual assignment. */
    private int checkLayout(CreatableTopic t) {
        if (!t.assignments().isEmpty()) {
            if (t.numPartitions() != -1 || t.replicationFactor() != -1) {
                throw new InvalidRequestException("Both numPartitions or replicationFactor and replicasAssignments "
                        + "were set. Both cannot be used at the same time.");
            }
            for (CreatableReplicaAssignment a : t.assignments()) {
                if (!a.brokerIds().equals(List.of(nodeId))) {
                    throw new InvalidReplicaAssignmentException("Replica assignment " + a.brokerIds()
                            + " names brokers other than the only one, " + nodeId);
                }
            }
            return t.assignments().size();
        }
        // Every node replicates every container: a factor up to the node count is met (by all of them).
        if (t.replicationFactor() != -1 && (t.replicationFactor() < 1 || t.replicationFactor() > brokers)) {
            throw new InvalidReplicationFactorException("Unable to replicate the partition " + t.replicationFactor()
                    + " time(s): The target replication factor of " + t.replicationFactor()
                    + " cannot be reached because only " + brokers + " broker(s) are registered.");
        }
        if (t.numPartitions() == -1) {
            return defaultPartitions;
        }
        if (t.numPartitions() <= 0) {
            throw new InvalidPartitionsException("Number of partitions was set to an invalid non-positive value.");
        }
        return t.numPartitions();
    }

    private void validateConfigs(Map<String, String> configs) {
        try {
            topicConfigs.validate(configs);
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
    }

    private void fill(CreatableTopicResult result, TopicMeta topic) {
        result.setErrorCode(Errors.NONE.code()).setTopicId(topic.id()).setNumPartitions(topic.partitions())
                .setReplicationFactor((short) brokers);
        if (result.topicConfigErrorCode() != Errors.NONE.code()) {
            return;
        }
        for (TopicConfigs.Described d : topicConfigs.describe(topic)) {
            result.configs().add(new CreatableTopicConfigs().setName(d.name()).setValue(d.value()).setReadOnly(false)
                    .setConfigSource(ConfigHandler.source(d.source()).id()).setIsSensitive(false));
        }
    }

    private static void setError(CreatableTopicResult result, Errors error, String message) {
        result.setErrorCode(error.code()).setErrorMessage(message);
    }

    private CompletableFuture<AbstractResponse> deleteTopics(RequestContext context, DeleteTopicsRequest req) {
        DeleteTopicsResponseData data = new DeleteTopicsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (DeleteTopicState s : req.topics()) {
            (s.name() != null ? java.util.Optional.of(s.name()) : catalog.byId(s.topicId()).map(TopicMeta::name))
                    .ifPresent(names::add);
        }
        java.util.Set<String> deletable = access.filter(context, AclOperation.DELETE, ResourceType.TOPIC, names, true);
        for (DeleteTopicState s : req.topics()) {
            DeletableTopicResult result = new DeletableTopicResult().setName(s.name()).setTopicId(s.topicId());
            data.responses().add(result);
            boolean byName = s.name() != null;
            var topic = byName ? catalog.byName(s.name()) : catalog.byId(s.topicId());
            String name = byName ? s.name() : topic.map(TopicMeta::name).orElse(null);
            if (name != null && !deletable.contains(name)) {
                result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message());
                continue;
            }
            if (!deleteEnabled) {
                result.setErrorCode(Errors.TOPIC_DELETION_DISABLED.code());
                continue;
            }
            if (topic.isEmpty()) {
                result.setErrorCode((byName ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.UNKNOWN_TOPIC_ID).code());
                continue;
            }
            result.setName(topic.get().name()).setTopicId(topic.get().id());
            all.add(catalog.delete(topic.get().name()).handle((t, e) -> {
                if (e != null) {
                    result.setErrorCode(KafkaErrors.of(e).code()).setErrorMessage(KafkaErrors.message(e));
                } else {
                    result.setErrorCode(Errors.NONE.code());
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new DeleteTopicsResponse(data));
    }

    private CompletableFuture<AbstractResponse> createPartitions(RequestContext context, CreatePartitionsRequest req) {
        CreatePartitionsResponseData data = new CreatePartitionsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        java.util.Set<String> alterable = access.filter(context, AclOperation.ALTER, ResourceType.TOPIC,
                req.data().topics().stream().map(CreatePartitionsTopic::name).toList(), true);
        for (CreatePartitionsTopic t : req.data().topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(t.name());
            data.results().add(result);
            if (!alterable.contains(t.name())) {
                result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message());
                continue;
            }
            var topic = catalog.byName(t.name());
            if (topic.isEmpty()) {
                result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("The topic '" + t.name() + "' does not exist.");
                continue;
            }
            int current = topic.get().partitions();
            if (t.count() <= current) {
                String msg = t.count() == current
                        ? "Topic already has " + current + " partitions."
                        : "Topic currently has " + current + " partitions, which is higher than the requested " + t.count() + ".";
                result.setErrorCode(Errors.INVALID_PARTITIONS.code()).setErrorMessage(msg);
                continue;
            }
            if (t.assignments() != null) {
                boolean bad = t.assignments().size() != t.count() - current
                        || t.assignments().stream().anyMatch(a -> !a.brokerIds().equals(List.of(nodeId)));
                if (bad) {
                    result.setErrorCode(Errors.INVALID_REPLICA_ASSIGNMENT.code())
                            .setErrorMessage("Replica assignments must name exactly the new partitions on broker " + nodeId);
                    continue;
                }
            }
            if (req.data().validateOnly()) {
                result.setErrorCode(Errors.NONE.code());
                continue;
            }
            all.add(catalog.addPartitions(t.name(), t.count()).handle((x, e) -> {
                if (e != null) {
                    result.setErrorCode(KafkaErrors.of(e).code()).setErrorMessage(KafkaErrors.message(e));
                } else {
                    result.setErrorCode(Errors.NONE.code());
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> new CreatePartitionsResponse(data));
    }

}
