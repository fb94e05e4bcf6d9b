package dev.weir.gateway.group;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.ShareGroupDescribeRequest;
import org.apache.kafka.common.requests.ShareGroupDescribeResponse;
import org.apache.kafka.common.requests.ShareGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;
import org.apache.kafka.common.resource.ResourceType;

/** Share-group membership (KIP-932): ShareGroupHeartbeat and ShareGroupDescribe. */
public final class ShareGroupHandler implements ApiHandler {
    private final ShareGroups groups;
    private final GroupCoordinator classic;
    private final ConsumerGroups consumerGroups;
    private final TopicCatalog catalog;
    private final Access access;

    public ShareGroupHandler(ShareGroups groups, GroupCoordinator classic, ConsumerGroups consumerGroups,
                             TopicCatalog catalog, Access access) {
        this.groups = groups;
        this.classic = classic;
        this.consumerGroups = consumerGroups;
        this.catalog = catalog;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.SHARE_GROUP_HEARTBEAT, 1, 1),
                ApiSupport.of(ApiKeys.SHARE_GROUP_DESCRIBE, 1, 1));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof ShareGroupHeartbeatRequest r) {
            ShareGroupHeartbeatRequestData d = r.data();
            // As Kafka: READ on the group, and DESCRIBE on every topic subscribed.
            if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, d.groupId())) {
                return CompletableFuture.completedFuture(new ShareGroupHeartbeatResponse(
                        new ShareGroupHeartbeatResponseData().setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())));
            }
            List<String> subscribed = d.subscribedTopicNames();
            if (subscribed != null && !subscribed.isEmpty()
                    && access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC, subscribed, true).size()
                    < new java.util.HashSet<>(subscribed).size()) {
                return CompletableFuture.completedFuture(new ShareGroupHeartbeatResponse(
                        new ShareGroupHeartbeatResponseData().setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
            }
            ShareGroups.Heartbeat h = new ShareGroups.Heartbeat(d.groupId(), d.memberId(), d.memberEpoch(), d.rackId(),
                    subscribed, context.clientId(), context.clientAddress == null ? "" : context.clientAddress.toString());
            return groups.heartbeat(h).thenApply(result -> {
                ShareGroupHeartbeatResponseData out = new ShareGroupHeartbeatResponseData()
                        .setErrorCode(result.error().code()).setErrorMessage(result.message());
                if (result.error() == Errors.NONE) {
                    out.setMemberId(result.memberId()).setMemberEpoch(result.memberEpoch())
                            .setHeartbeatIntervalMs(result.heartbeatIntervalMs());
                    if (result.assignment() != null) {
                        ShareGroupHeartbeatResponseData.Assignment a = new ShareGroupHeartbeatResponseData.Assignment();
                        result.assignment().forEach((topic, ps) -> a.topicPartitions().add(
                                new ShareGroupHeartbeatResponseData.TopicPartitions().setTopicId(topic)
                                        .setPartitions(new ArrayList<>(ps))));
                        out.setAssignment(a);
                    }
                }
                return new ShareGroupHeartbeatResponse(out);
            });
        }
        return CompletableFuture.completedFuture(describe(context, (ShareGroupDescribeRequest) request));
    }

    private AbstractResponse describe(RequestContext context, ShareGroupDescribeRequest request) {
        ShareGroupDescribeResponseData out = new ShareGroupDescribeResponseData();
        for (String groupId : request.data().groupIds()) {
            ShareGroupDescribeResponseData.DescribedGroup g = new ShareGroupDescribeResponseData.DescribedGroup()
                    .setGroupId(groupId);
            out.groups().add(g);
            if (!access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
                g.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message());
                continue;
            }
            Optional<ShareGroups.GroupDescription> d = groups.describe(groupId);
            if (d.isEmpty()) {
                String message = classic.exists(groupId) || consumerGroups.exists(groupId)
                        ? "Group " + groupId + " is not a share group." : "Group " + groupId + " not found.";
                g.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage(message);
                continue;
            }
            if (request.data().includeAuthorizedOperations()) {
                g.setAuthorizedOperations(access.operations(context, ResourceType.GROUP, groupId));
            }
            g.setGroupState(d.get().state()).setGroupEpoch(d.get().groupEpoch())
                    .setAssignmentEpoch(d.get().assignmentEpoch()).setAssignorName("simple");
            for (ShareGroups.MemberDescription m : d.get().members()) {
                g.members().add(new ShareGroupDescribeResponseData.Member().setMemberId(m.memberId())
                        .setRackId(m.rackId()).setMemberEpoch(m.memberEpoch()).setClientId(m.clientId())
                        .setClientHost(m.clientHost()).setSubscribedTopicNames(m.subscribedTopicNames())
                        .setAssignment(assignment(m.assignment())));
            }
        }
        return new ShareGroupDescribeResponse(out);
    }

    private ShareGroupDescribeResponseData.Assignment assignment(Map<Uuid, Set<Integer>> partitions) {
        ShareGroupDescribeResponseData.Assignment a = new ShareGroupDescribeResponseData.Assignment();
        partitions.forEach((topic, ps) -> catalog.byId(topic).ifPresent(t -> a.topicPartitions().add(
                new ShareGroupDescribeResponseData.TopicPartitions().setTopicId(topic).setTopicName(t.name())
                        .setPartitions(new ArrayList<>(ps)))));
        return a;
    }
}
