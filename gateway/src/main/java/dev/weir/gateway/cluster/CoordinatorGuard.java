package dev.weir.gateway.cluster;

import dev.weir.gateway.net.RequestHook;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * In a cluster, group and transaction state is served by the controller only (the node leading
 * container 0, where that state lives): elsewhere a coordinator request gets NOT_COORDINATOR,
 * which makes clients look the coordinator up again, as after a Kafka coordinator moves. Listing
 * requests, which Kafka's admin client sends to every broker, get an empty list.
 */
public final class CoordinatorGuard implements RequestHook {
    private static final Set<ApiKeys> COORDINATOR_APIS = EnumSet.of(
            ApiKeys.JOIN_GROUP, ApiKeys.SYNC_GROUP, ApiKeys.HEARTBEAT, ApiKeys.LEAVE_GROUP,
            ApiKeys.OFFSET_COMMIT, ApiKeys.OFFSET_FETCH, ApiKeys.OFFSET_DELETE, ApiKeys.DESCRIBE_GROUPS,
            ApiKeys.DELETE_GROUPS, ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_DESCRIBE,
            ApiKeys.SHARE_GROUP_HEARTBEAT, ApiKeys.SHARE_GROUP_DESCRIBE,
            ApiKeys.ADD_PARTITIONS_TO_TXN, ApiKeys.ADD_OFFSETS_TO_TXN, ApiKeys.END_TXN, ApiKeys.TXN_OFFSET_COMMIT,
            ApiKeys.DESCRIBE_TRANSACTIONS);

    private final BooleanSupplier isCoordinator;

    public CoordinatorGuard(BooleanSupplier isCoordinator) {
        this.isCoordinator = isCoordinator;
    }

    @Override
    public Verdict onRequest(RequestContext context, AbstractRequest request, Map<Uuid, String> topicNames) {
        ApiKeys key = request.apiKey();
        boolean guarded = COORDINATOR_APIS.contains(key)
                || (key == ApiKeys.INIT_PRODUCER_ID && ((InitProducerIdRequest) request).data().transactionalId() != null)
                || key == ApiKeys.LIST_GROUPS || key == ApiKeys.LIST_TRANSACTIONS;
        if (!guarded || isCoordinator.getAsBoolean()) {
            return Verdict.PASS;
        }
        if (key == ApiKeys.LIST_GROUPS) {
            return new Verdict.Answer(new ListGroupsResponse(new ListGroupsResponseData()), Duration.ZERO);
        }
        if (key == ApiKeys.LIST_TRANSACTIONS) {
            return new Verdict.Answer(new ListTransactionsResponse(new ListTransactionsResponseData()), Duration.ZERO);
        }
        return new Verdict.Answer(request.getErrorResponse(0,
                new NotCoordinatorException("This node is not the coordinator; ask FindCoordinator.")), Duration.ZERO);
    }
}
