package dev.weir.gateway.cluster;

import com.codahale.metrics.MetricRegistry;
import dev.weir.gateway.Gateway;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.replication.RatisLog;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a cluster: its replica (store and Raft groups) for the life of the process, and a
 * gateway over it that is started again whenever this node becomes or stops being the controller.
 * The controller serves the group, offset and transaction state that lives in container 0; a node
 * promoted to it loads that state from its replica, now complete, as a Kafka broker loads a
 * coordinator partition it comes to lead. Clients see their connections to this node close and
 * reconnect, and groups rejoin once.
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    private static final long READY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final GatewayConfig config;
    private final RatisLog.Replica replica;
    private final ExecutorService changes = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "weir-controller-change");
        t.setDaemon(true);
        return t;
    });
    private volatile Gateway gateway;
    private volatile boolean closed;

    private ClusterNode(GatewayConfig config, RatisLog.Replica replica) {
        this.config = config;
        this.replica = replica;
    }

    public static ClusterNode start(GatewayConfig config) throws InterruptedException {
        ClusterNode node = new ClusterNode(config, Gateway.openReplica(config, Gateway.storeOptions(config, new MetricRegistry())));
        try {
            node.gateway = Gateway.start(config, node.replica, new MetricRegistry());
            node.startedAsController = node.gateway.startedAsController();
        } catch (InterruptedException | RuntimeException e) {
            node.replica.close();
            throw e;
        }
        node.replica.log().addLeaderListener(container -> {
            if (container == 0 && !node.closed) {
                node.changes.execute(node::followControllerChange);
            }
        });
        // a change may have come while the gateway was starting
        node.changes.execute(node::followControllerChange);
        return node;
    }

    public Gateway gateway() {
        return gateway;
    }

    /** Starts the gateway again if this node's controller role is not the one it was started with. */
    private void followControllerChange() {
        if (closed) {
            return;
        }
        RatisLog raft = replica.log();
        boolean leads = awaitSettled(raft);
        if (leads == startedAsController) {
            return;
        }
        try {
            if (leads) {
                // every committed record of container 0 handed over before this is applied after it
                replica.store().barrier(0).get(30, TimeUnit.SECONDS);
            }
            log.info("node {}: {} the controller; starting the gateway again to {} group and transaction state",
                    raft.nodeId(), leads ? "now" : "no longer", leads ? "load" : "drop");
            gateway.close();
            gateway = Gateway.start(config, replica, new MetricRegistry()); // its metrics anew, as its components
            startedAsController = gateway.startedAsController();
        } catch (Exception e) {
            log.error("node {}: restarting the gateway after a controller change failed: {}", raft.nodeId(), e.toString());
        }
    }

    private volatile boolean startedAsController;

    /** Waits (bounded) until this node is a ready leader of container 0 or another node leads it. */
    private static boolean awaitSettled(RatisLog raft) {
        long deadline = System.nanoTime() + READY_WAIT_NANOS;
        while (System.nanoTime() < deadline) {
            if (raft.isLeader(0)) {
                return true;
            }
            int leader = raft.leaderOf(0);
            if (leader >= 0 && leader != raft.nodeId()) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return raft.isLeader(0);
    }

    @Override
    public void close() {
        closed = true;
        changes.shutdownNow();
        try {
            changes.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gateway.close();
        replica.close();
    }
}
