package dev.weir.gateway.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.apache.kafka.server.authorizer.Authorizer;

/**
 * What the handlers ask before they act: may this request's principal, from this host, do this
 * operation on this resource. Answered by Kafka's own authorizer when {@code authorizer.class.name}
 * names one, so the semantics are Kafka's (DENY over ALLOW, implied operations, prefixes, hosts,
 * {@code super.users}, {@code allow.everyone.if.no.acl.found}); without one, everything is allowed,
 * as on a Kafka broker without an authorizer. Denials are logged by the authorizer, one line each.
 */
public final class Access {
    /** The cluster resource's only name. */
    public static final String CLUSTER = "kafka-cluster";
    private static final Map<ResourceType, Set<AclOperation>> SUPPORTED = new EnumMap<>(ResourceType.class);

    static {
        SUPPORTED.put(ResourceType.TOPIC, EnumSet.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE,
                AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS,
                AclOperation.ALTER_CONFIGS));
        SUPPORTED.put(ResourceType.GROUP, EnumSet.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE,
                AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS));
        SUPPORTED.put(ResourceType.CLUSTER, EnumSet.of(AclOperation.CREATE, AclOperation.CLUSTER_ACTION,
                AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE,
                AclOperation.ALTER, AclOperation.DESCRIBE));
        SUPPORTED.put(ResourceType.TRANSACTIONAL_ID, EnumSet.of(AclOperation.DESCRIBE, AclOperation.WRITE));
    }

    private final Authorizer authorizer;

    public Access(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** No authorizer: everything is allowed. */
    public static Access allowAll() {
        return new Access(null);
    }

    public boolean enabled() {
        return authorizer != null;
    }

    Authorizer authorizer() {
        return authorizer;
    }

    /** Whether {@code context}'s principal may do {@code op} on the resource; a denial is logged. */
    public boolean allowed(RequestContext context, AclOperation op, ResourceType type, String name) {
        return authorize(context, op, type, name, true);
    }

    /** As {@link #allowed}, without a log line for a denial (Kafka's checks that only filter). */
    public boolean allowedQuietly(RequestContext context, AclOperation op, ResourceType type, String name) {
        return authorize(context, op, type, name, false);
    }

    /** On the cluster resource. */
    public boolean allowedOnCluster(RequestContext context, AclOperation op) {
        return allowed(context, op, ResourceType.CLUSTER, CLUSTER);
    }

    /** The names {@code op} is allowed on, in their order, asked in one call; denials are logged. */
    public Set<String> filter(RequestContext context, AclOperation op, ResourceType type, Collection<String> names,
                              boolean logIfDenied) {
        Set<String> distinct = new LinkedHashSet<>(names);
        if (authorizer == null || distinct.isEmpty()) {
            return distinct;
        }
        List<Action> actions = new ArrayList<>();
        for (String name : distinct) {
            actions.add(new Action(op, new ResourcePattern(type, name, PatternType.LITERAL), 1, true, logIfDenied));
        }
        List<AuthorizationResult> results = authorizer.authorize(context, actions);
        Set<String> out = new LinkedHashSet<>();
        int i = 0;
        for (String name : distinct) {
            if (results.get(i++) == AuthorizationResult.ALLOWED) {
                out.add(name);
            }
        }
        return out;
    }

    /** Whether {@code op} is allowed on some resource of {@code type} (Kafka's authorizeByResourceType). */
    public boolean allowedOnSome(RequestContext context, AclOperation op, ResourceType type) {
        return authorizer == null || authorizer.authorizeByResourceType(context, op, type) == AuthorizationResult.ALLOWED;
    }

    /** The authorized-operations bit field of a resource, as Metadata and the Describe APIs report it. */
    public int operations(RequestContext context, ResourceType type, String name) {
        Set<AclOperation> supported = SUPPORTED.get(type);
        Set<Byte> allowed = new LinkedHashSet<>();
        for (AclOperation op : supported) {
            if (authorizer == null || authorize(context, op, type, name, false)) {
                allowed.add(op.code());
            }
        }
        return Utils.to32BitField(allowed);
    }

    private boolean authorize(RequestContext context, AclOperation op, ResourceType type, String name, boolean log) {
        if (authorizer == null) {
            return true;
        }
        Action action = new Action(op, new ResourcePattern(type, name, PatternType.LITERAL), 1, true, log);
        return authorizer.authorize(context, List.of(action)).get(0) == AuthorizationResult.ALLOWED;
    }
}
