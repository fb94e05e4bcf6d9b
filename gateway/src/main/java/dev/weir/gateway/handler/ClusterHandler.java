package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.apache.kafka.common.requests.DescribeTopicPartitionsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** The cluster-description family: DescribeCluster and DescribeTopicPartitions (paged). */
public final class ClusterHandler implements ApiHandler {
    private static final byte BROKER_ENDPOINTS = 1;

    private final BrokerIdentity broker;
    private final TopicCatalog catalog;
    private final Access access;

    public ClusterHandler(BrokerIdentity broker, TopicCatalog catalog, Access access) {
        this.broker = broker;
        this.catalog = catalog;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DESCRIBE_CLUSTER, 0, 2),
                ApiSupport.of(ApiKeys.DESCRIBE_TOPIC_PARTITIONS, 0, 0));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        return CompletableFuture.completedFuture(request instanceof DescribeClusterRequest r
                ? describeCluster(context, r)
                : describeTopicPartitions(context, (DescribeTopicPartitionsRequest) request));
    }

    private AbstractResponse describeCluster(RequestContext context, DescribeClusterRequest req) {
        DescribeClusterResponseData data = new DescribeClusterResponseData()
                .setClusterId(broker.clusterId())
                .setControllerId(broker.controllerId())
                .setEndpointType(req.data().endpointType());
        if (req.data().endpointType() != BROKER_ENDPOINTS) {
            return new DescribeClusterResponse(data.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Weir serves broker endpoints only"));
        }
        if (req.data().includeClusterAuthorizedOperations()) {
            data.setClusterAuthorizedOperations(access.operations(context, ResourceType.CLUSTER, Access.CLUSTER));
        }
        for (BrokerIdentity.Node n : broker.nodes(context)) {
            data.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                    .setBrokerId(n.id()).setHost(n.endpoint().host()).setPort(n.endpoint().port()).setIsFenced(false));
        }
        return new DescribeClusterResponse(data);
    }

    private AbstractResponse describeTopicPartitions(RequestContext context, DescribeTopicPartitionsRequest req) {
        DescribeTopicPartitionsRequestData rd = req.data();
        List<String> names = new ArrayList<>();
        boolean all = rd.topics().isEmpty();
        if (all) {
            catalog.all().forEach(t -> names.add(t.name()));
        } else {
            rd.topics().forEach(t -> names.add(t.name()));
        }
        // As Metadata: topics not DESCRIBE-able are left out of "all" and refused when named.
        java.util.Set<String> describable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC, names, !all);
        if (all) {
            names.retainAll(describable);
        }
        names.sort(Comparator.naturalOrder());
        String cursorTopic = rd.cursor() == null ? null : rd.cursor().topicName();
        int cursorPartition = rd.cursor() == null ? 0 : rd.cursor().partitionIndex();
        int budget = Math.max(1, rd.responsePartitionLimit());
        DescribeTopicPartitionsResponseData data = new DescribeTopicPartitionsResponseData();
        List<Integer> replicas = List.of(broker.nodeId());
        for (String name : names) {
            if (cursorTopic != null && name.compareTo(cursorTopic) < 0) {
                continue;
            }
            int firstPartition = name.equals(cursorTopic) ? cursorPartition : 0;
            Optional<TopicMeta> topic = catalog.byName(name);
            if (budget == 0) {
                data.setNextCursor(new DescribeTopicPartitionsResponseData.Cursor().setTopicName(name)
                        .setPartitionIndex(firstPartition));
                break;
            }
            DescribeTopicPartitionsResponseTopic t = new DescribeTopicPartitionsResponseTopic().setName(name);
            data.topics().add(t);
            if (!describable.contains(name)) {
                t.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setTopicId(Uuid.ZERO_UUID);
                continue;
            }
            if (topic.isEmpty()) {
                t.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setTopicId(Uuid.ZERO_UUID);
                continue;
            }
            t.setTopicAuthorizedOperations(access.operations(context, ResourceType.TOPIC, name));
            t.setErrorCode(Errors.NONE.code()).setTopicId(topic.get().id())
                    .setIsInternal(TopicCatalog.isInternal(topic.get().name()));
            for (int p = firstPartition; p < topic.get().partitions(); p++) {
                if (budget == 0) {
                    data.setNextCursor(new DescribeTopicPartitionsResponseData.Cursor().setTopicName(name)
                            .setPartitionIndex(p));
                    break;
                }
                String segment = topic.get().segment(p);
                t.partitions().add(new DescribeTopicPartitionsResponsePartition().setPartitionIndex(p)
                        .setErrorCode(Errors.NONE.code()).setLeaderId(broker.leaderOf(segment)).setLeaderEpoch(broker.leaderEpoch(segment))
                        .setReplicaNodes(broker.replicas(segment)).setIsrNodes(broker.inSyncReplicas(segment))
                        .setEligibleLeaderReplicas(List.of())
                        .setLastKnownElr(List.of()).setOfflineReplicas(List.of()));
                budget--;
            }
            if (data.nextCursor() != null) {
                break;
            }
        }
        return new DescribeTopicPartitionsResponse(data);
    }
}
