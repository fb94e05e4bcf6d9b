package dev.weir.gateway.group;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.handler.BrokerIdentity;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData.JoinGroupResponseMember;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Group membership: FindCoordinator (for groups and transactional ids alike), JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup (classic protocol).
 */
public final class GroupMembershipHandler implements ApiHandler {
    private static final byte GROUP_KEY = 0;
    private static final byte TRANSACTION_KEY = 1;

    private final GroupCoordinator coordinator;
    private final BrokerIdentity identity;
    private final Access access;

    public GroupMembershipHandler(GroupCoordinator coordinator, BrokerIdentity identity, Access access) {
        this.coordinator = coordinator;
        this.identity = identity;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.FIND_COORDINATOR, 0, 6),
                ApiSupport.of(ApiKeys.JOIN_GROUP, 0, 9),
                ApiSupport.of(ApiKeys.SYNC_GROUP, 0, 5),
                ApiSupport.of(ApiKeys.HEARTBEAT, 0, 4),
                ApiSupport.of(ApiKeys.LEAVE_GROUP, 0, 5));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        short version = request.version();
        if (request instanceof FindCoordinatorRequest r) {
            return CompletableFuture.completedFuture(findCoordinator(context, identity.endpoint(context), r.data(), version));
        }
        // As Kafka: a classic member needs READ on its group.
        String group = request instanceof JoinGroupRequest r ? r.data().groupId()
                : request instanceof SyncGroupRequest r ? r.data().groupId()
                : request instanceof HeartbeatRequest r ? r.data().groupId()
                : ((LeaveGroupRequest) request).data().groupId();
        if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, group)) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0,
                    Errors.GROUP_AUTHORIZATION_FAILED.exception()));
        }
        if (request instanceof JoinGroupRequest r) {
            return join(context, r.data(), version);
        }
        if (request instanceof SyncGroupRequest r) {
            return sync(r.data(), version);
        }
        if (request instanceof HeartbeatRequest r) {
            Errors e = coordinator.heartbeat(r.data().groupId(), r.data().memberId(), r.data().groupInstanceId(),
                    r.data().generationId());
            return CompletableFuture.completedFuture(new HeartbeatResponse(new HeartbeatResponseData().setErrorCode(e.code())));
        }
        return leave((LeaveGroupRequest) request, version);
    }

    private AbstractResponse findCoordinator(RequestContext context, BrokerIdentity.Endpoint ownEndpoint,
                                             FindCoordinatorRequestData data, short version) {
        // In a cluster the coordinator is the node leading the container of the gateway's state.
        int coordinatorId = identity.controllerId();
        BrokerIdentity.Endpoint endpoint = coordinatorId < 0 ? null : identity.endpointOf(coordinatorId, context);
        if (endpoint == null) {
            coordinatorId = -1;
        }
        if (version < 4) {
            Errors e = coordinates(data.keyType()) && coordinatorId >= 0 ? Errors.NONE : Errors.COORDINATOR_NOT_AVAILABLE;
            if (e == Errors.NONE) {
                e = authorizeKey(context, data.keyType(), data.key());
            }
            FindCoordinatorResponseData out = new FindCoordinatorResponseData().setErrorCode(e.code());
            if (e == Errors.NONE) {
                out.setNodeId(coordinatorId).setHost(endpoint.host()).setPort(endpoint.port());
            } else {
                out.setNodeId(-1).setHost("").setPort(-1).setErrorMessage(e.message());
            }
            return new FindCoordinatorResponse(out);
        }
        FindCoordinatorResponseData out = new FindCoordinatorResponseData();
        for (String key : data.coordinatorKeys()) {
            Coordinator c = new Coordinator().setKey(key);
            Errors denied = coordinates(data.keyType()) ? authorizeKey(context, data.keyType(), key) : Errors.NONE;
            if (denied != Errors.NONE) {
                c.setErrorCode(denied.code()).setErrorMessage(denied.message()).setNodeId(-1).setHost("").setPort(-1);
            } else if (coordinates(data.keyType()) && coordinatorId >= 0) {
                c.setErrorCode(Errors.NONE.code()).setNodeId(coordinatorId).setHost(endpoint.host())
                        .setPort(endpoint.port());
            } else {
                c.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setErrorMessage(
                        Errors.COORDINATOR_NOT_AVAILABLE.message()).setNodeId(-1).setHost("").setPort(-1);
            }
            out.coordinators().add(c);
        }
        return new FindCoordinatorResponse(out);
    }

    /** DESCRIBE on the group or transactional id whose coordinator is asked for, as Kafka checks. */
    private Errors authorizeKey(RequestContext context, byte keyType, String key) {
        if (keyType == GROUP_KEY) {
            return access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, key)
                    ? Errors.NONE : Errors.GROUP_AUTHORIZATION_FAILED;
        }
        return access.allowed(context, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)
                ? Errors.NONE : Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    }

    /** This node coordinates every group and every transactional id. */
    private static boolean coordinates(byte keyType) {
        return keyType == GROUP_KEY || keyType == TRANSACTION_KEY;
    }

    private CompletableFuture<AbstractResponse> join(RequestContext context, JoinGroupRequestData data, short version) {
        List<GroupCoordinator.Protocol> protocols = new ArrayList<>();
        for (JoinGroupRequestProtocol p : data.protocols()) {
            protocols.add(new GroupCoordinator.Protocol(p.name(), p.metadata()));
        }
        GroupCoordinator.JoinRequest join = new GroupCoordinator.JoinRequest(data.groupId(), data.memberId(),
                data.groupInstanceId(), data.protocolType(), protocols, data.sessionTimeoutMs(),
                version == 0 ? data.sessionTimeoutMs() : data.rebalanceTimeoutMs(),
                JoinGroupRequest.requiresKnownMemberId(data, version), JoinGroupRequest.supportsSkippingAssignment(version),
                context.clientId(),
                context.clientAddress == null ? "" : context.clientAddress.toString());
        return coordinator.join(join).thenApply(r -> {
            JoinGroupResponseData out = new JoinGroupResponseData().setErrorCode(r.error().code())
                    .setGenerationId(r.generationId()).setMemberId(r.memberId() == null ? "" : r.memberId())
                    .setLeader(r.leaderId() == null ? "" : r.leaderId()).setSkipAssignment(r.skipAssignment())
                    .setProtocolType(version >= 7 ? r.protocolType() : null)
                    .setProtocolName(r.protocolName() != null || version >= 7 ? r.protocolName() : "");
            for (GroupCoordinator.JoinedMember m : r.members()) {
                out.members().add(new JoinGroupResponseMember().setMemberId(m.memberId())
                        .setGroupInstanceId(m.instanceId()).setMetadata(m.metadata()));
            }
            return new JoinGroupResponse(out, version);
        });
    }

    private CompletableFuture<AbstractResponse> sync(SyncGroupRequestData data, short version) {
        Map<String, byte[]> assignments = new HashMap<>();
        for (SyncGroupRequestAssignment a : data.assignments()) {
            assignments.put(a.memberId(), a.assignment());
        }
        return coordinator.sync(data.groupId(), data.generationId(), data.memberId(), data.groupInstanceId(),
                version >= 5 ? data.protocolType() : null, version >= 5 ? data.protocolName() : null, assignments)
                .thenApply(r -> new SyncGroupResponse(new SyncGroupResponseData().setErrorCode(r.error().code())
                        .setProtocolType(r.protocolType()).setProtocolName(r.protocolName())
                        .setAssignment(r.assignment())));
    }

    private CompletableFuture<AbstractResponse> leave(LeaveGroupRequest request, short version) {
        List<MemberIdentity> members = request.members();
        List<String[]> ids = new ArrayList<>();
        for (MemberIdentity m : members) {
            ids.add(new String[] {m.memberId(), m.groupInstanceId()});
        }
        List<Errors> errors = coordinator.leave(request.data().groupId(), ids);
        List<MemberResponse> responses = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            responses.add(new MemberResponse().setMemberId(members.get(i).memberId())
                    .setGroupInstanceId(members.get(i).groupInstanceId()).setErrorCode(errors.get(i).code()));
        }
        Errors top = Errors.NONE;
        if (version < 3 && !errors.isEmpty()) {
            top = errors.get(0);
        }
        return CompletableFuture.completedFuture(new LeaveGroupResponse(responses, top, 0, version));
    }
}
