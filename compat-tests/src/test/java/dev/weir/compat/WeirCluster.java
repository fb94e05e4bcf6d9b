package dev.weir.compat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Weir cluster of real gateway processes on 127.0.0.1: every node a replica of every container,
 * each its own data directory, Raft port and client port. As a {@link Broker} its bootstrap list
 * names every node; {@link #node(int)} reaches one.
 */
final class WeirCluster implements Broker {
    static final String CLUSTER_ID = "weir-compat-cluster";
    private final Map<Integer, GatewayProcess> nodes = new LinkedHashMap<>();

    private WeirCluster() {
    }

    /** Starts {@code size} nodes (ids 1..size) with three containers each, and waits until all serve. */
    static WeirCluster start(String name, int size, Map<String, String> settings) {
        WeirCluster cluster = new WeirCluster();
        try {
            Map<Integer, Integer> raftPorts = new LinkedHashMap<>();
            for (int id = 1; id <= size; id++) {
                cluster.nodes.put(id, GatewayProcess.prepare(name + "-n" + id, settings));
                raftPorts.put(id, FreePorts.next());
            }
            String voters = raftPorts.entrySet().stream()
                    .map(e -> e.getKey() + "@" + BrokerProcess.HOST + ":" + e.getValue()).collect(Collectors.joining(","));
            String clients = cluster.nodes.entrySet().stream()
                    .map(e -> e.getKey() + "@" + e.getValue().host() + ":" + e.getValue().port()).collect(Collectors.joining(","));
            cluster.nodes.forEach((id, node) -> {
                node.set("node.id", Integer.toString(id));
                node.set("controller.quorum.voters", voters);
                node.set("cluster.nodes", clients);
                node.set("storage.containers", "3");
                node.set("cluster.id", CLUSTER_ID);
                // a short election timeout: failovers in seconds, as the tests measure them
                node.set("controller.quorum.election.timeout.ms", "1000");
            });
            cluster.nodes.values().forEach(BrokerProcess::spawn);
            cluster.nodes.values().forEach(BrokerProcess::awaitServing);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    GatewayProcess node(int id) {
        return nodes.get(id);
    }

    List<Integer> nodeIds() {
        return new ArrayList<>(nodes.keySet());
    }

    @Override
    public Target target() {
        return Target.WEIR;
    }

    private GatewayProcess firstAlive() {
        return nodes.values().stream().filter(GatewayProcess::isAlive).findFirst()
                .orElse(nodes.values().iterator().next());
    }

    @Override
    public String host() {
        return firstAlive().host();
    }

    @Override
    public int port() {
        return firstAlive().port();
    }

    @Override
    public String bootstrapServers() {
        return nodes.values().stream().map(GatewayProcess::bootstrapServers).collect(Collectors.joining(","));
    }

    @Override
    public boolean isAlive() {
        return nodes.values().stream().allMatch(GatewayProcess::isAlive);
    }

    @Override
    public Path logFile() {
        return firstAlive().logFile();
    }

    @Override
    public void stop() {
        nodes.values().stream().filter(GatewayProcess::isAlive).forEach(GatewayProcess::stop);
    }

    /** kill -9 of every node. */
    @Override
    public void kill9() {
        nodes.values().stream().filter(GatewayProcess::isAlive).forEach(GatewayProcess::kill9);
    }

    /** Starts every node that is down, together, and waits until they serve. */
    @Override
    public void restart() {
        List<GatewayProcess> down = nodes.values().stream().filter(n -> !n.isAlive()).toList();
        down.forEach(BrokerProcess::spawn);
        down.forEach(BrokerProcess::awaitServing);
    }

    @Override
    public void close() {
        for (GatewayProcess node : nodes.values()) {
            try {
                node.close();
            } catch (RuntimeException e) {
                // close the others all the same
            }
        }
    }

    @Override
    public String toString() {
        return "Weir cluster " + nodes.keySet();
    }
}
