package dev.weir.replication;

import dev.weir.storage.ContainerLog;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.NotLeaderException;
import dev.weir.storage.StorageException;
import dev.weir.storage.StoreOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store's containers as Apache Ratis groups, one Raft group per container with every node as a
 * peer: the leader's sequencer proposes each group commit's change record, and every node's
 * state machine applies committed records to its own copy of the container.
 *
 * <p>Leadership is spread by Raft priorities: container {@code i} prefers the {@code i mod n}-th
 * node, and Ratis hands the lead to it whenever it is up and caught up.
 */
public final class RatisLog implements ContainerLog, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RatisLog.class);
    private static final String PEER_PREFIX = "node-";

    private final ClusterConfig config;
    private final RaftPeerId self;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final int containers;
    private final RaftGroup[] groups;
    private final Map<RaftGroupId, Integer> containerOfGroup = new HashMap<>();
    private final int[] leaders;
    private volatile RaftServer server;
    private volatile RaftServer.Division[] divisions;
    private volatile boolean closed;

    private RatisLog(ClusterConfig config, int containers) {
        this.config = config;
        this.self = peerId(config.nodeId());
        this.containers = containers;
        this.groups = new RaftGroup[containers];
        this.leaders = new int[containers];
        java.util.Arrays.fill(leaders, -1);
        List<Integer> ids = config.nodeIds();
        for (int c = 0; c < containers; c++) {
            int preferred = ids.get(c % ids.size());
            List<RaftPeer> peers = new ArrayList<>();
            for (Map.Entry<Integer, InetSocketAddress> node : config.nodes().entrySet()) {
                InetSocketAddress a = node.getValue();
                peers.add(RaftPeer.newBuilder()
                        .setId(peerId(node.getKey()))
                        .setAddress(a.getHostString() + ":" + a.getPort())
                        .setPriority(node.getKey() == preferred ? 1 : 0)
                        .build());
            }
            RaftGroupId id = RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
                    ("weir:" + config.clusterId() + ":container:" + c + "/" + containers).getBytes(StandardCharsets.UTF_8)));
            groups[c] = RaftGroup.valueOf(id, peers);
            containerOfGroup.put(id, c);
        }
    }

    /** One node of a cluster: its replica of the store and the log under it. */
    public record Replica(LmdbSegmentStore store, RatisLog log) implements AutoCloseable {
        /** Leaves the Raft groups first (in-flight writes fail as not committed), then closes the store. */
        @Override
        public void close() {
            log.close();
            store.close();
        }

        /** As {@code kill -9} would: the Raft server stops at once and the store halts. For tests. */
        public void halt() {
            log.close();
            store.halt();
        }
    }

    /**
     * Opens this node's replica: the store (with {@code options.containers()} containers, which
     * must be the same on every node), then the Raft server, which replays what the store has not
     * applied yet and joins the groups, creating them on first start.
     */
    public static Replica open(ClusterConfig config, StoreOptions options) {
        if (options.containers() <= 0) {
            throw new IllegalArgumentException("a cluster needs a fixed container count, the same on every node");
        }
        RatisLog raft = new RatisLog(config, options.containers());
        LmdbSegmentStore store = LmdbSegmentStore.open(options.withLog(raft));
        try {
            raft.start(store);
            return new Replica(store, raft);
        } catch (IOException | RuntimeException e) {
            raft.close();
            store.close();
            throw new StorageException("cannot join the cluster as node " + config.nodeId() + ": " + e.getMessage(), e);
        }
    }

    private void start(LmdbSegmentStore store) throws IOException {
        if (store.containerCount() != containers) {
            throw new StorageException("the data directory has " + store.containerCount()
                    + " containers, the cluster " + containers);
        }
        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(props, List.of(config.raftDir().toFile()));
        InetSocketAddress own = config.nodes().get(config.nodeId());
        GrpcConfigKeys.Server.setHost(props, own.getHostString());
        GrpcConfigKeys.Server.setPort(props, own.getPort());
        long electionMs = config.electionTimeout().toMillis();
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(electionMs, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2 * electionMs, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(props, TimeDuration.valueOf(electionMs / 2, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(props, TimeDuration.valueOf(electionMs, TimeUnit.MILLISECONDS));
        // an entry (one group commit's change record) may be up to ContainerLog.MAX_RECORD_BYTES
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(props, SizeInBytes.valueOf(8L << 20));
        RaftServerConfigKeys.Log.setWriteBufferSize(props, SizeInBytes.valueOf((8L << 20) + (1L << 20)));
        // the log is never purged yet (no snapshots), so a follower always catches up from entries
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(props, false);
        server = RaftServer.newBuilder()
                .setServerId(self)
                .setProperties(props)
                .setStateMachineRegistry(gid -> {
                    Integer c = containerOfGroup.get(gid);
                    if (c == null) {
                        throw new IllegalArgumentException("unknown Raft group " + gid);
                    }
                    return new ContainerStateMachine(c, store, this);
                })
                .setOption(org.apache.ratis.server.storage.RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        Set<RaftGroupId> existing = new HashSet<>();
        server.getGroupIds().forEach(existing::add);
        RaftServer.Division[] ds = new RaftServer.Division[containers];
        for (int c = 0; c < containers; c++) {
            if (!existing.contains(groups[c].getGroupId())) {
                RaftClientReply reply = await(server.groupManagementAsync(GroupManagementRequest.newAdd(
                        clientId, self, callIds.incrementAndGet(), groups[c], true)));
                if (!reply.isSuccess()) {
                    throw new IOException("cannot create the Raft group of container " + c + ": " + reply.getException());
                }
            }
            ds[c] = server.getDivision(groups[c].getGroupId());
        }
        divisions = ds;
        log.info("node {}: Raft server on {} with {} container groups over nodes {}", config.nodeId(), own,
                containers, config.nodeIds());
    }

    private static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException(e.getCause() != null ? e.getCause().toString() : e.toString(), e);
        }
    }

    // ------------------------------------------------------------------ ContainerLog

    @Override
    public CompletableFuture<Void> propose(int container, byte[] changes) {
        RaftServer s = server;
        if (s == null || closed) {
            return CompletableFuture.failedFuture(new NotLeaderException("node is not serving", leaderOf(container)));
        }
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(self)
                .setGroupId(groups[container].getGroupId())
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(changes)))
                .setType(RaftClientRequest.writeRequestType())
                .build();
        try {
            return s.submitClientRequestAsync(request).thenApply(reply -> {
                if (!reply.isSuccess()) {
                    throw failure(container, reply.getException());
                }
                return null;
            });
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new NotLeaderException(e.toString(), leaderOf(container)));
        }
    }

    private RuntimeException failure(int container, RaftException e) {
        if (e instanceof org.apache.ratis.protocol.exceptions.NotLeaderException nle && nle.getSuggestedLeader() != null) {
            return new NotLeaderException("container " + container + " is led by another node",
                    nodeIdOf(nle.getSuggestedLeader().getId()));
        }
        return new NotLeaderException("container " + container + ": " + e, leaderOf(container));
    }

    @Override
    public boolean isLeader(int container) {
        DivisionInfo info = info(container);
        return info != null && info.isLeader() && info.isLeaderReady();
    }

    @Override
    public int leaderOf(int container) {
        DivisionInfo info = info(container);
        if (info != null && info.getLeaderId() != null) {
            return nodeIdOf(info.getLeaderId());
        }
        return leaders[container];
    }

    /** The container's current Raft term: Kafka's leader epoch of its partitions. */
    public int leaderEpoch(int container) {
        DivisionInfo info = info(container);
        return info == null ? 0 : (int) Math.min(Integer.MAX_VALUE, info.getCurrentTerm());
    }

    /** Every node is a replica of every container, in id order. */
    public List<Integer> replicas(int container) {
        return config.nodeIds();
    }

    /**
     * The replicas in sync with the leader: the leader and each follower it heard from within the
     * replica lag time. Only the leader knows; elsewhere this is every replica.
     */
    public List<Integer> inSyncReplicas(int container) {
        DivisionInfo info = info(container);
        if (info == null || !info.isLeader()) {
            return replicas(container);
        }
        RoleInfoProto role = info.getRoleInfoProto();
        Set<Integer> inSync = new java.util.TreeSet<>();
        inSync.add(config.nodeId());
        long lagMs = config.replicaLagTime().toMillis();
        for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
            if (f.getLastRpcElapsedTimeMs() <= lagMs) {
                inSync.add(nodeIdOf(RaftPeerId.valueOf(f.getId().getId())));
            }
        }
        return new ArrayList<>(inSync);
    }

    /** This node's id. */
    public int nodeId() {
        return config.nodeId();
    }

    public ClusterConfig config() {
        return config;
    }

    void leaderChanged(int container, RaftPeerId leader) {
        int id = leader == null ? -1 : nodeIdOf(leader);
        int before = leaders[container];
        leaders[container] = id;
        if (before != id) {
            log.info("node {}: container {} is now led by node {}", config.nodeId(), container, id);
            for (java.util.function.IntConsumer l : leaderListeners) {
                try {
                    l.accept(container);
                } catch (RuntimeException e) {
                    log.warn("node {}: a leader-change listener failed: {}", config.nodeId(), e.toString());
                }
            }
        }
    }

    private final List<java.util.function.IntConsumer> leaderListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Calls {@code listener} with a container's index whenever this node learns of a new leader
     * for it (on a Ratis thread: it must not block). The new leader may not be ready yet.
     */
    public void addLeaderListener(java.util.function.IntConsumer listener) {
        leaderListeners.add(listener);
    }

    public void removeLeaderListener(java.util.function.IntConsumer listener) {
        leaderListeners.remove(listener);
    }

    private DivisionInfo info(int container) {
        RaftServer.Division[] ds = divisions;
        if (ds == null || closed) {
            return null;
        }
        return ds[container].getInfo();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RaftServer s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                log.warn("node {}: closing the Raft server failed: {}", config.nodeId(), e.toString());
            }
        }
    }

    static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf(PEER_PREFIX + nodeId);
    }

    static int nodeIdOf(RaftPeerId id) {
        String s = id.toString();
        try {
            return Integer.parseInt(s.startsWith(PEER_PREFIX) ? s.substring(PEER_PREFIX.length()) : s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
