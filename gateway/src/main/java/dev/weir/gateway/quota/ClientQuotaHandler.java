package dev.weir.gateway.quota;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.security.Access;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterClientQuotasRequest;
import org.apache.kafka.common.requests.AlterClientQuotasResponse;
import org.apache.kafka.common.requests.DescribeClientQuotasRequest;
import org.apache.kafka.common.requests.DescribeClientQuotasResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * DescribeClientQuotas and AlterClientQuotas for user and client-id entities, validated as Kafka
 * validates them. Weir enforces the byte-rate quotas ({@code producer_byte_rate},
 * {@code consumer_byte_rate}); the keys it does not enforce are refused rather than stored for show.
 */
public final class ClientQuotaHandler implements ApiHandler {
    private static final Set<String> KAFKA_KEYS = Set.of(ClientQuotas.PRODUCER_BYTE_RATE, ClientQuotas.CONSUMER_BYTE_RATE,
            "request_percentage", "controller_mutation_rate", "connection_creation_rate");
    private static final Set<String> ENFORCED = Set.of(ClientQuotas.PRODUCER_BYTE_RATE, ClientQuotas.CONSUMER_BYTE_RATE);

    private final ClientQuotas quotas;
    private final Access access;

    public ClientQuotaHandler(ClientQuotas quotas, Access access) {
        this.quotas = quotas;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DESCRIBE_CLIENT_QUOTAS, 0, 1), ApiSupport.of(ApiKeys.ALTER_CLIENT_QUOTAS, 0, 1));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        // As Kafka: DESCRIBE_CONFIGS on the cluster to read quotas, ALTER_CONFIGS to change them.
        boolean isDescribe = request instanceof DescribeClientQuotasRequest;
        if (!access.allowedOnCluster(context, isDescribe ? AclOperation.DESCRIBE_CONFIGS : AclOperation.ALTER_CONFIGS)) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0,
                    Errors.CLUSTER_AUTHORIZATION_FAILED.exception()));
        }
        if (request instanceof DescribeClientQuotasRequest describe) {
            return CompletableFuture.completedFuture(describe(describe.data()));
        }
        return alter(((AlterClientQuotasRequest) request).data());
    }

    private DescribeClientQuotasResponse describe(DescribeClientQuotasRequestData req) {
        DescribeClientQuotasResponseData out = new DescribeClientQuotasResponseData();
        Set<String> types = new HashSet<>();
        for (DescribeClientQuotasRequestData.ComponentData c : req.components()) {
            String problem = null;
            if (!types.add(c.entityType())) {
                problem = "Duplicate entity type in filter: " + c.entityType();
            } else if (c.matchType() == DescribeClientQuotasRequest.MATCH_TYPE_EXACT && c.match() == null) {
                problem = "Exact match for entity type " + c.entityType() + " needs a name";
            } else if (c.matchType() < 0 || c.matchType() > DescribeClientQuotasRequest.MATCH_TYPE_SPECIFIED) {
                problem = "Unknown match type " + c.matchType();
            }
            if (problem != null) {
                return new DescribeClientQuotasResponse(out.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(problem));
            }
        }
        Predicate<ClientQuotas.Entity> matches = e -> {
            for (DescribeClientQuotasRequestData.ComponentData c : req.components()) {
                if (!component(e, c)) {
                    return false;
                }
            }
            if (req.strict()) {
                return (!e.hasUser() || types.contains(ClientQuotas.USER))
                        && (!e.hasClient() || types.contains(ClientQuotas.CLIENT_ID));
            }
            return true;
        };
        quotas.describe(matches).forEach((e, values) -> {
            DescribeClientQuotasResponseData.EntryData entry = new DescribeClientQuotasResponseData.EntryData();
            if (e.hasUser()) {
                entry.entity().add(new DescribeClientQuotasResponseData.EntityData()
                        .setEntityType(ClientQuotas.USER).setEntityName(e.user()));
            }
            if (e.hasClient()) {
                entry.entity().add(new DescribeClientQuotasResponseData.EntityData()
                        .setEntityType(ClientQuotas.CLIENT_ID).setEntityName(e.clientId()));
            }
            values.forEach((k, v) -> entry.values().add(new DescribeClientQuotasResponseData.ValueData().setKey(k).setValue(v)));
            out.entries().add(entry);
        });
        return new DescribeClientQuotasResponse(out);
    }

    private static boolean component(ClientQuotas.Entity e, DescribeClientQuotasRequestData.ComponentData c) {
        boolean has;
        String name;
        if (ClientQuotas.USER.equals(c.entityType())) {
            has = e.hasUser();
            name = e.user();
        } else if (ClientQuotas.CLIENT_ID.equals(c.entityType())) {
            has = e.hasClient();
            name = e.clientId();
        } else {
            return false; // no quotas on other entity types are kept
        }
        return switch (c.matchType()) {
            case DescribeClientQuotasRequest.MATCH_TYPE_EXACT -> has && c.match().equals(name);
            case DescribeClientQuotasRequest.MATCH_TYPE_DEFAULT -> has && name == null;
            default -> has;
        };
    }

    private CompletableFuture<AbstractResponse> alter(AlterClientQuotasRequestData req) {
        AlterClientQuotasResponseData out = new AlterClientQuotasResponseData();
        CompletableFuture<Void> written = CompletableFuture.completedFuture(null);
        for (AlterClientQuotasRequestData.EntryData entry : req.entries()) {
            AlterClientQuotasResponseData.EntryData result = new AlterClientQuotasResponseData.EntryData();
            for (AlterClientQuotasRequestData.EntityData part : entry.entity()) {
                result.entity().add(new AlterClientQuotasResponseData.EntityData()
                        .setEntityType(part.entityType()).setEntityName(part.entityName()));
            }
            out.entries().add(result);
            ClientQuotas.Entity entity;
            try {
                entity = entity(entry.entity());
                for (AlterClientQuotasRequestData.OpData op : entry.ops()) {
                    validate(op);
                }
            } catch (IllegalArgumentException e) {
                result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(e.getMessage());
                continue;
            }
            if (!req.validateOnly()) {
                for (AlterClientQuotasRequestData.OpData op : entry.ops()) {
                    Double value = op.remove() ? null : op.value();
                    written = written.thenCompose(v -> quotas.set(entity, op.key(), value));
                }
            }
        }
        return written.thenApply(v -> new AlterClientQuotasResponse(out));
    }

    private static ClientQuotas.Entity entity(List<AlterClientQuotasRequestData.EntityData> parts) {
        boolean hasUser = false;
        boolean hasClient = false;
        String user = null;
        String client = null;
        for (AlterClientQuotasRequestData.EntityData p : parts) {
            if (ClientQuotas.USER.equals(p.entityType()) && !hasUser) {
                hasUser = true;
                user = p.entityName();
            } else if (ClientQuotas.CLIENT_ID.equals(p.entityType()) && !hasClient) {
                hasClient = true;
                client = p.entityName();
            } else if ("ip".equals(p.entityType())) {
                throw new IllegalArgumentException("Weir does not enforce ip quotas (connection_creation_rate)");
            } else {
                throw new IllegalArgumentException("Invalid or duplicate entity type: " + p.entityType());
            }
        }
        if (!hasUser && !hasClient) {
            throw new IllegalArgumentException("Invalid empty client quota entity");
        }
        return new ClientQuotas.Entity(hasUser, user, hasClient, client);
    }

    private static void validate(AlterClientQuotasRequestData.OpData op) {
        if (!KAFKA_KEYS.contains(op.key())) {
            throw new IllegalArgumentException("Invalid configuration key " + op.key());
        }
        if (!ENFORCED.contains(op.key())) {
            throw new IllegalArgumentException("Weir does not enforce " + op.key() + "; it enforces " + ENFORCED);
        }
        if (op.remove()) {
            return;
        }
        double v = op.value();
        if (v != Math.rint(v) || v > Long.MAX_VALUE) {
            throw new IllegalArgumentException(op.key() + " must be a whole number, not " + v);
        }
        if (v <= 0) {
            throw new IllegalArgumentException(op.key() + " must be positive, not " + v);
        }
    }
}
