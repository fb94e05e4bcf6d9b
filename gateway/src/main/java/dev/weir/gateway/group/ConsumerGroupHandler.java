package dev.weir.gateway.group;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData.DescribedGroup;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupDescribeResponse;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** The KIP-848 consumer protocol: ConsumerGroupHeartbeat and ConsumerGroupDescribe. */
public final class ConsumerGroupHandler implements ApiHandler {
    private static final byte CONSUMER_MEMBER = 1;

    private final ConsumerGroups groups;
    private final GroupCoordinator classic;
    private final TopicCatalog catalog;
    private final Access access;

    public ConsumerGroupHandler(ConsumerGroups groups, GroupCoordinator classic, TopicCatalog catalog, Access access) {
        this.access = access;
        this.groups = groups;
        this.classic = classic;
        this.catalog = catalog;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 0, 1),
                ApiSupport.of(ApiKeys.CONSUMER_GROUP_DESCRIBE, 0, 1));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof ConsumerGroupHeartbeatRequest r) {
            // As Kafka: READ on the group, and DESCRIBE on every topic subscribed by name.
            if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, r.data().groupId())) {
                return CompletableFuture.completedFuture(r.getErrorResponse(Errors.GROUP_AUTHORIZATION_FAILED.exception()));
            }
            List<String> subscribed = r.data().subscribedTopicNames();
            if (subscribed != null && !subscribed.isEmpty()
                    && access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC, subscribed, true).size()
                    < new java.util.HashSet<>(subscribed).size()) {
                return CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponse(
                        new ConsumerGroupHeartbeatResponseData().setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
            }
            return heartbeat(context, r.data(), r.version());
        }
        return CompletableFuture.completedFuture(describe(context, (ConsumerGroupDescribeRequest) request));
    }

    private CompletableFuture<AbstractResponse> heartbeat(RequestContext context, ConsumerGroupHeartbeatRequestData d,
                                                          short version) {
        Map<Uuid, Set<Integer>> owned = null;
        if (d.topicPartitions() != null) {
            owned = new HashMap<>();
            for (ConsumerGroupHeartbeatRequestData.TopicPartitions tp : d.topicPartitions()) {
                owned.computeIfAbsent(tp.topicId(), t -> new TreeSet<>()).addAll(tp.partitions());
            }
        }
        ConsumerGroups.Heartbeat h = new ConsumerGroups.Heartbeat(d.groupId(), d.memberId(), d.memberEpoch(),
                d.instanceId(), d.rackId(), d.rebalanceTimeoutMs(), d.subscribedTopicNames(),
                version >= 1 ? d.subscribedTopicRegex() : null, d.serverAssignor(), owned, context.clientId(),
                context.clientAddress == null ? "" : context.clientAddress.toString(), version);
        return groups.heartbeat(h).thenApply(r -> {
            ConsumerGroupHeartbeatResponseData out = new ConsumerGroupHeartbeatResponseData()
                    .setErrorCode(r.error().code()).setErrorMessage(r.message());
            if (r.error() == Errors.NONE) {
                out.setMemberId(r.memberId()).setMemberEpoch(r.memberEpoch())
                        .setHeartbeatIntervalMs(r.heartbeatIntervalMs());
                if (r.assignment() != null) {
                    ConsumerGroupHeartbeatResponseData.Assignment a = new ConsumerGroupHeartbeatResponseData.Assignment();
                    r.assignment().forEach((topic, ps) -> a.topicPartitions().add(
                            new ConsumerGroupHeartbeatResponseData.TopicPartitions().setTopicId(topic)
                                    .setPartitions(new ArrayList<>(ps))));
                    out.setAssignment(a);
                }
            }
            return new ConsumerGroupHeartbeatResponse(out);
        });
    }

    private AbstractResponse describe(RequestContext context, ConsumerGroupDescribeRequest request) {
        ConsumerGroupDescribeResponseData out = new ConsumerGroupDescribeResponseData();
        for (String groupId : request.data().groupIds()) {
            DescribedGroup g = new DescribedGroup().setGroupId(groupId);
            out.groups().add(g);
            if (!access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
                g.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message());
                continue;
            }
            if (request.data().includeAuthorizedOperations()) {
                g.setAuthorizedOperations(access.operations(context, ResourceType.GROUP, groupId));
            }
            Optional<ConsumerGroups.GroupDescription> d = groups.describe(groupId);
            if (d.isEmpty()) {
                String message = classic.exists(groupId) ? "Group " + groupId + " is not a consumer group."
                        : "Group " + groupId + " not found.";
                g.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage(message);
                continue;
            }
            g.setGroupState(d.get().state()).setGroupEpoch(d.get().groupEpoch())
                    .setAssignmentEpoch(d.get().assignmentEpoch()).setAssignorName(d.get().assignor());
            for (ConsumerGroups.MemberDescription m : d.get().members()) {
                g.members().add(new ConsumerGroupDescribeResponseData.Member().setMemberId(m.memberId())
                        .setInstanceId(m.instanceId()).setRackId(m.rackId()).setMemberEpoch(m.memberEpoch())
                        .setClientId(m.clientId()).setClientHost(m.clientHost())
                        .setSubscribedTopicNames(m.subscribedTopicNames())
                        .setSubscribedTopicRegex(m.subscribedTopicRegex())
                        .setAssignment(assignment(m.assignment()))
                        .setTargetAssignment(assignment(m.targetAssignment()))
                        .setMemberType(CONSUMER_MEMBER));
            }
        }
        return new ConsumerGroupDescribeResponse(out);
    }

    private ConsumerGroupDescribeResponseData.Assignment assignment(Map<Uuid, Set<Integer>> partitions) {
        ConsumerGroupDescribeResponseData.Assignment a = new ConsumerGroupDescribeResponseData.Assignment();
        partitions.forEach((topic, ps) -> catalog.byId(topic).ifPresent(t -> a.topicPartitions().add(
                new ConsumerGroupDescribeResponseData.TopicPartitions().setTopicId(topic).setTopicName(t.name())
                        .setPartitions(new ArrayList<>(ps)))));
        return a;
    }
}
