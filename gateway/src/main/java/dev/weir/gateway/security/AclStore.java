package dev.weir.gateway.security;

import dev.weir.gateway.state.RecordLog;
import dev.weir.gateway.state.RecordStrings;
import dev.weir.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.AuthorizerServerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACLs, kept as a log of additions and removals in one store segment, replayed at start, and
 * loaded into Kafka's {@link StandardAuthorizer} as Kafka's controller loads its metadata log: each
 * ACL by id, added and removed one by one, so a change applies to the next request.
 */
public final class AclStore {
    private static final Logger log = LoggerFactory.getLogger(AclStore.class);
    static final String SEGMENT = "__weir_acls";
    private static final int COMPACT_AFTER_RECORDS = 1000;

    private final StandardAuthorizer authorizer;
    /** id → ACL, guarded by this. */
    private final Map<Uuid, StandardAcl> acls = new LinkedHashMap<>();
    private RecordLog records;

    private AclStore(StandardAuthorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** Opens the ACL log and starts {@code authorizer} (configured with super.users etc.) on it. */
    public static AclStore open(SegmentStore store, StandardAuthorizer authorizer, String clusterId, int nodeId) {
        AclStore s = new AclStore(authorizer);
        s.records = RecordLog.open(store, SEGMENT, s::replay);
        if (s.records.replayed() > COMPACT_AFTER_RECORDS + 2L * s.acls.size()) {
            List<ByteBuffer> live = new ArrayList<>();
            s.acls.forEach((id, acl) -> live.add(encode(id, acl)));
            s.records.rewrite(live);
            log.info("Compacted the ACL log from {} to {} records", s.records.replayed(), live.size());
        }
        authorizer.start(new AuthorizerServerInfo() {
            @Override
            public org.apache.kafka.common.ClusterResource clusterResource() {
                return new org.apache.kafka.common.ClusterResource(clusterId);
            }

            @Override
            public int brokerId() {
                return nodeId;
            }

            @Override
            public java.util.Collection<Endpoint> endpoints() {
                return List.of();
            }

            @Override
            public Endpoint interBrokerEndpoint() {
                return null;
            }

            @Override
            public java.util.Collection<String> earlyStartListeners() {
                return List.of();
            }
        });
        authorizer.loadSnapshot(Map.copyOf(s.acls));
        authorizer.completeInitialLoad();
        log.info("ACL authorizer ready with {} ACLs", s.acls.size());
        return s;
    }

    /** The ACLs that {@code filter} matches. */
    public synchronized List<AclBinding> matching(AclBindingFilter filter) {
        List<AclBinding> out = new ArrayList<>();
        for (StandardAcl acl : acls.values()) {
            AclBinding b = acl.toBinding();
            if (filter.matches(b)) {
                out.add(b);
            }
        }
        return out;
    }

    /** Adds an ACL unless the same one exists; completes once durable and applied. */
    public CompletableFuture<Void> add(AclBinding binding) {
        StandardAcl acl = StandardAcl.fromAclBinding(binding);
        synchronized (this) {
            if (acls.containsValue(acl)) {
                return CompletableFuture.completedFuture(null);
            }
        }
        Uuid id = Uuid.randomUuid();
        return records.append(encode(id, acl)).thenRun(() -> apply(id, acl));
    }

    /** Removes the ACLs {@code filter} matches; completes with them once durable and applied. */
    public CompletableFuture<List<AclBinding>> remove(AclBindingFilter filter) {
        Map<Uuid, StandardAcl> gone = new LinkedHashMap<>();
        synchronized (this) {
            acls.forEach((id, acl) -> {
                if (filter.matches(acl.toBinding())) {
                    gone.put(id, acl);
                }
            });
        }
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        gone.keySet().forEach(id -> writes.add(records.append(encode(id, null)).thenRun(() -> apply(id, null))));
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .thenApply(v -> gone.values().stream().map(StandardAcl::toBinding).toList());
    }

    /** In a cluster: ACL changes made on the controller reach this node's authorizer as they are written. */
    public void follow(java.util.concurrent.Executor executor) {
        records.follow(b -> {
            Uuid[] id = new Uuid[1];
            StandardAcl acl = parse(b, id);
            apply(id[0], acl);
        }, executor);
    }

    private void replay(ByteBuffer b) {
        Uuid[] id = new Uuid[1];
        StandardAcl acl = parse(b, id);
        if (acl == null) {
            acls.remove(id[0]);
        } else {
            acls.put(id[0], acl);
        }
    }

    /** One record: the ACL (null: removed), its id in {@code id[0]}. */
    private static StandardAcl parse(ByteBuffer b, Uuid[] idOut) {
        Uuid id = new Uuid(b.getLong(), b.getLong());
        idOut[0] = id;
        StandardAcl acl = null;
        if (b.get() == 1) {
            ResourceType type = ResourceType.fromCode(b.get());
            String name = RecordStrings.get(b);
            PatternType pattern = PatternType.fromCode(b.get());
            String principal = RecordStrings.get(b);
            String host = RecordStrings.get(b);
            AclOperation op = AclOperation.fromCode(b.get());
            AclPermissionType permission = AclPermissionType.fromCode(b.get());
            acl = new StandardAcl(type, name, pattern, principal, host, op, permission);
        }
        return acl;
    }

    private void apply(Uuid id, StandardAcl acl) {
        synchronized (this) {
            if (acl == null) {
                if (acls.remove(id) == null) {
                    return;
                }
            } else {
                acls.put(id, acl);
            }
        }
        if (acl == null) {
            authorizer.removeAcl(id);
        } else {
            authorizer.addAcl(id, acl);
        }
    }

    private static ByteBuffer encode(Uuid id, StandardAcl acl) {
        if (acl == null) {
            return ByteBuffer.allocate(17).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits())
                    .put((byte) 0).flip();
        }
        byte[] name = RecordStrings.bytes(acl.resourceName());
        byte[] principal = RecordStrings.bytes(acl.principal());
        byte[] host = RecordStrings.bytes(acl.host());
        ByteBuffer b = ByteBuffer.allocate(17 + 1 + RecordStrings.size(name) + 1 + RecordStrings.size(principal)
                + RecordStrings.size(host) + 2);
        b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).put((byte) 1);
        b.put(acl.resourceType().code());
        RecordStrings.put(b, name);
        b.put(acl.patternType().code());
        RecordStrings.put(b, principal);
        RecordStrings.put(b, host);
        b.put(acl.operation().code());
        b.put(acl.permissionType().code());
        return b.flip();
    }
}
