package dev.weir.replication;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Who is in the cluster: this node's id, every node's inter-node (Raft) address, where this node
 * keeps its Raft log, and the timing of leader elections.
 *
 * @param nodeId          this node, one of {@code nodes}' keys
 * @param nodes           every node id and its inter-node address, this node's included
 * @param raftDir         this node's Raft log and group directories
 * @param clusterId       names the Raft groups, so two clusters never mix
 * @param electionTimeout the shortest time without a leader's heartbeat before a follower stands
 *                        for election; the longest is twice this
 * @param replicaLagTime  a follower not heard from for longer is out of sync (Kafka's
 *                        {@code replica.lag.time.max.ms})
 */
public record ClusterConfig(int nodeId, Map<Integer, InetSocketAddress> nodes, Path raftDir, String clusterId,
                            Duration electionTimeout, Duration replicaLagTime) {

    public ClusterConfig {
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(raftDir, "raftDir");
        Objects.requireNonNull(clusterId, "clusterId");
        nodes = Collections.unmodifiableMap(new TreeMap<>(nodes));
        if (!nodes.containsKey(nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is not in the node list " + nodes.keySet());
        }
    }

    /** Node ids in ascending order. */
    public List<Integer> nodeIds() {
        return new ArrayList<>(nodes.keySet());
    }

    /**
     * Parses Kafka's voter list format, {@code id@host:port,id@host:port,...}
     * ({@code controller.quorum.voters}).
     *
     * @throws IllegalArgumentException naming the entry that is wrong
     */
    public static Map<Integer, InetSocketAddress> parseNodes(String list) {
        Map<Integer, InetSocketAddress> nodes = new TreeMap<>();
        for (String raw : list.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int at = entry.indexOf('@');
            int colon = entry.lastIndexOf(':');
            if (at <= 0 || colon <= at + 1 || colon == entry.length() - 1) {
                throw new IllegalArgumentException("'" + entry + "' is not id@host:port");
            }
            int id;
            int port;
            try {
                id = Integer.parseInt(entry.substring(0, at));
                port = Integer.parseInt(entry.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + entry + "' is not id@host:port");
            }
            if (id < 0 || port <= 0 || port > 65535) {
                throw new IllegalArgumentException("'" + entry + "' needs an id of 0 or more and a port in 1..65535");
            }
            String host = entry.substring(at + 1, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (nodes.put(id, InetSocketAddress.createUnresolved(host, port)) != null) {
                throw new IllegalArgumentException("node id " + id + " appears twice");
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no nodes listed");
        }
        return nodes;
    }
}
