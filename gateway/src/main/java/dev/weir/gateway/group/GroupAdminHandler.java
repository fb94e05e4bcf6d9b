package dev.weir.gateway.group;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** Group administration: DescribeGroups, ListGroups, DeleteGroups. */
public final class GroupAdminHandler implements ApiHandler {
    private static final String CLASSIC = "classic";
    private static final String CONSUMER = "consumer";
    private static final String SHARE = "share";

    private final GroupCoordinator coordinator;
    private final ConsumerGroups consumerGroups;
    private final CommittedOffsets offsets;
    private final ShareGroups shareGroups;
    private final java.util.function.Function<String, CompletableFuture<Void>> shareStateDeleter;

    private final Access access;

    /** {@code shareStateDeleter} drops a deleted share group's share-partition state. */
    public GroupAdminHandler(GroupCoordinator coordinator, ConsumerGroups consumerGroups, ShareGroups shareGroups,
                             java.util.function.Function<String, CompletableFuture<Void>> shareStateDeleter,
                             CommittedOffsets offsets, Access access) {
        this.access = access;
        this.shareGroups = shareGroups;
        this.shareStateDeleter = shareStateDeleter;
        this.coordinator = coordinator;
        this.consumerGroups = consumerGroups;
        this.offsets = offsets;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DESCRIBE_GROUPS, 0, 6),
                ApiSupport.of(ApiKeys.LIST_GROUPS, 0, 5),
                ApiSupport.of(ApiKeys.DELETE_GROUPS, 0, 3));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof DescribeGroupsRequest r) {
            return CompletableFuture.completedFuture(describe(context, r));
        }
        if (request instanceof ListGroupsRequest r) {
            return CompletableFuture.completedFuture(list(context, r));
        }
        return delete(context, (DeleteGroupsRequest) request);
    }

    private AbstractResponse describe(RequestContext context, DescribeGroupsRequest r) {
        DescribeGroupsResponseData out = new DescribeGroupsResponseData();
        for (String groupId : r.data().groups()) {
            if (!access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
                out.groups().add(DescribeGroupsResponse.groupError(groupId, Errors.GROUP_AUTHORIZATION_FAILED));
                continue;
            }
            Optional<GroupCoordinator.GroupDescription> d = coordinator.describe(groupId);
            DescribedGroup g = new DescribedGroup().setGroupId(groupId).setErrorCode(Errors.NONE.code())
                    .setGroupState("Dead").setProtocolType("").setProtocolData("");
            out.groups().add(g);
            if (d.isEmpty()) {
                if (r.version() >= 6) {
                    g.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage(consumerGroups.exists(groupId)
                            || shareGroups.exists(groupId)
                            ? "Group " + groupId + " is not a classic group." : "Group " + groupId + " not found.");
                }
                continue;
            }
            g.setGroupState(d.get().state()).setProtocolType(d.get().protocolType()).setProtocolData(d.get().protocolName());
            if (r.data().includeAuthorizedOperations()) {
                g.setAuthorizedOperations(access.operations(context, ResourceType.GROUP, groupId));
            }
            for (GroupCoordinator.MemberDescription m : d.get().members()) {
                g.members().add(new DescribedGroupMember().setMemberId(m.memberId()).setGroupInstanceId(m.instanceId())
                        .setClientId(m.clientId()).setClientHost(m.clientHost()).setMemberMetadata(m.metadata())
                        .setMemberAssignment(m.assignment()));
            }
        }
        return new DescribeGroupsResponse(out);
    }

    private AbstractResponse list(RequestContext context, ListGroupsRequest r) {
        // As Kafka: all groups with DESCRIBE on the cluster, else those the principal may DESCRIBE.
        boolean all = access.allowedQuietly(context, AclOperation.DESCRIBE, ResourceType.CLUSTER, Access.CLUSTER);
        ListGroupsResponse listed = listAll(r);
        if (!all) {
            listed.data().groups().removeIf(g -> !access.allowedQuietly(context, AclOperation.DESCRIBE,
                    ResourceType.GROUP, g.groupId()));
        }
        return listed;
    }

    private ListGroupsResponse listAll(ListGroupsRequest r) {
        Set<String> states = r.data().statesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        Set<String> types = r.data().typesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        ListGroupsResponseData out = new ListGroupsResponseData().setErrorCode(Errors.NONE.code());
        if (types.isEmpty() || types.contains(CLASSIC)) {
            for (GroupCoordinator.GroupListing g : coordinator.list()) {
                if (states.isEmpty() || states.contains(g.state().toLowerCase(Locale.ROOT))) {
                    out.groups().add(new ListedGroup().setGroupId(g.groupId()).setProtocolType(g.protocolType())
                            .setGroupState(g.state()).setGroupType(CLASSIC));
                }
            }
        }
        if (types.isEmpty() || types.contains(CONSUMER)) {
            consumerGroups.list().forEach((groupId, state) -> {
                if (states.isEmpty() || states.contains(state.toLowerCase(Locale.ROOT))) {
                    out.groups().add(new ListedGroup().setGroupId(groupId).setProtocolType(CONSUMER)
                            .setGroupState(state).setGroupType(CONSUMER));
                }
            });
        }
        if (types.isEmpty() || types.contains(SHARE)) {
            shareGroups.list().forEach((groupId, state) -> {
                if (states.isEmpty() || states.contains(state.toLowerCase(Locale.ROOT))) {
                    out.groups().add(new ListedGroup().setGroupId(groupId).setProtocolType(SHARE)
                            .setGroupState(state).setGroupType(SHARE));
                }
            });
        }
        return new ListGroupsResponse(out);
    }

    private CompletableFuture<AbstractResponse> delete(RequestContext context, DeleteGroupsRequest r) {
        DeleteGroupsResponseData out = new DeleteGroupsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (String groupId : r.data().groupsNames()) {
            DeletableGroupResult result = new DeletableGroupResult().setGroupId(groupId);
            out.results().add(result);
            if (!access.allowed(context, AclOperation.DELETE, ResourceType.GROUP, groupId)) {
                result.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code());
                continue;
            }
            CompletableFuture<Errors> deleted = consumerGroups.exists(groupId) ? consumerGroups.delete(groupId)
                    : shareGroups.exists(groupId) ? shareGroups.delete(groupId).thenCompose(e -> e != Errors.NONE
                    ? CompletableFuture.completedFuture(e) : shareStateDeleter.apply(groupId).thenApply(v -> e))
                    : coordinator.delete(groupId);
            all.add(deleted.thenCompose(e -> {
                if (e == Errors.GROUP_ID_NOT_FOUND && !offsets.of(groupId).isEmpty()) {
                    e = Errors.NONE;
                }
                result.setErrorCode(e.code());
                return e == Errors.NONE ? offsets.deleteGroup(groupId) : CompletableFuture.completedFuture(null);
            }).exceptionally(failure -> {
                result.setErrorCode(dev.weir.gateway.api.KafkaErrors.of(failure).code());
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new DeleteGroupsResponse(out));
    }
}
