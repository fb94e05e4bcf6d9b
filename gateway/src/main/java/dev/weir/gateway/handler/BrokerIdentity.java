package dev.weir.gateway.handler;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.config.Listeners;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Who this gateway is to clients: its node id, the cluster id, and per listener the address it
 * advertises. As Kafka, a client is told the address of the listener its request came in on. An
 * advertised port of 0 (listening on an ephemeral port) becomes the port actually bound.
 */
public final class BrokerIdentity {
    /** An advertised address. */
    public record Endpoint(String host, int port) {
    }

    private final int nodeId;
    private final Map<String, Listeners.Listener> listeners = new LinkedHashMap<>();
    private final Map<String, Integer> boundPorts = new ConcurrentHashMap<>();
    private final TopicCatalog catalog;

    public BrokerIdentity(int nodeId, List<Listeners.Listener> listeners, TopicCatalog catalog) {
        this.nodeId = nodeId;
        listeners.forEach(l -> this.listeners.put(l.name(), l));
        this.catalog = catalog;
    }

    /** Called once a listener is bound. */
    public void bound(String listener, int port) {
        boundPorts.put(listener, port);
    }

    public int nodeId() {
        return nodeId;
    }

    /** The address advertised on the listener {@code context}'s request came in on. */
    public Endpoint endpoint(RequestContext context) {
        return endpoint(context.listenerName.value());
    }

    public Endpoint endpoint(String listenerName) {
        Listeners.Listener l = listeners.get(listenerName);
        if (l == null) {
            l = listeners.values().iterator().next();
        }
        int port = l.advertisedPort() != 0 ? l.advertisedPort() : boundPorts.getOrDefault(l.name(), 0);
        return new Endpoint(l.advertisedHost(), port);
    }

    public String clusterId() {
        return catalog.clusterId();
    }

    // ------------------------------------------------------------------ cluster

    /** A node as clients see it. */
    public record Node(int id, Endpoint endpoint) {
    }

    private volatile dev.weir.replication.RatisLog raft;
    private volatile dev.weir.storage.LmdbSegmentStore store;
    private volatile Map<Integer, Endpoint> clusterEndpoints = Map.of();

    /** Makes this identity one node's of a cluster: who leads what comes from the Raft groups. */
    public void joinCluster(dev.weir.replication.RatisLog raft, dev.weir.storage.LmdbSegmentStore store,
                            Map<Integer, java.net.InetSocketAddress> clientAddresses) {
        Map<Integer, Endpoint> endpoints = new java.util.TreeMap<>();
        clientAddresses.forEach((id, a) -> endpoints.put(id, new Endpoint(a.getHostString(), a.getPort())));
        this.clusterEndpoints = java.util.Collections.unmodifiableMap(endpoints);
        this.store = store;
        this.raft = raft;
    }

    public boolean clustered() {
        return raft != null;
    }

    /** Every node, with the address advertised on the listener {@code context}'s request came in on. */
    public List<Node> nodes(RequestContext context) {
        if (raft == null) {
            return List.of(new Node(nodeId, endpoint(context)));
        }
        List<Node> nodes = new java.util.ArrayList<>();
        clusterEndpoints.forEach((id, e) -> nodes.add(new Node(id, id == nodeId ? endpoint(context) : e)));
        return nodes;
    }

    /** The node leading a segment's container (-1 while an election runs); this node when alone. */
    public int leaderOf(String segment) {
        return raft == null ? nodeId : raft.leaderOf(store.containerOf(segment));
    }

    /**
     * A partition's leader epoch: its container's Raft term in a cluster (it grows with every
     * election, so a client's older epoch is fenced); -1 (unknown) on a single node.
     */
    public int leaderEpoch(String segment) {
        return raft == null ? -1 : raft.leaderEpoch(store.containerOf(segment));
    }

    /**
     * Kafka's check of a request's current leader epoch (-1: none): older than this node's is
     * FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH; null when it passes (always on a single node).
     */
    public org.apache.kafka.common.protocol.Errors checkLeaderEpoch(String segment, int requested) {
        if (raft == null || requested < 0) {
            return null;
        }
        int current = leaderEpoch(segment);
        if (requested < current) {
            return org.apache.kafka.common.protocol.Errors.FENCED_LEADER_EPOCH;
        }
        return requested > current ? org.apache.kafka.common.protocol.Errors.UNKNOWN_LEADER_EPOCH : null;
    }

    public List<Integer> replicas(String segment) {
        return raft == null ? List.of(nodeId) : raft.replicas(store.containerOf(segment));
    }

    public List<Integer> inSyncReplicas(String segment) {
        return raft == null ? List.of(nodeId) : raft.inSyncReplicas(store.containerOf(segment));
    }

    /**
     * The controller, group and transaction coordinator: the leader of the container holding the
     * gateway's state segments (container 0 in a cluster), or this node when alone.
     */
    public int controllerId() {
        return raft == null ? nodeId : raft.leaderOf(0);
    }

    /** The address of node {@code id} for the listener {@code context}'s request came in on, or null. */
    public Endpoint endpointOf(int id, RequestContext context) {
        if (id == nodeId) {
            return endpoint(context);
        }
        return clusterEndpoints.get(id);
    }
}
