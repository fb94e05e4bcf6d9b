package dev.weir.gateway;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import dev.weir.gateway.api.ApiRegistry;
import dev.weir.gateway.api.KafkaEmulation;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicConfigs;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.config.Listeners;
import dev.weir.gateway.group.CommittedOffsets;
import dev.weir.gateway.group.ConsumerGroupHandler;
import dev.weir.gateway.group.ConsumerGroups;
import dev.weir.gateway.group.GroupAdminHandler;
import dev.weir.gateway.group.GroupConfigs;
import dev.weir.gateway.group.GroupCoordinator;
import dev.weir.gateway.group.GroupMembershipHandler;
import dev.weir.gateway.group.GroupMetadataLog;
import dev.weir.gateway.group.ShareGroupHandler;
import dev.weir.gateway.group.ShareGroups;
import dev.weir.gateway.group.ShareOffsetsHandler;
import dev.weir.gateway.share.ShareFetchHandler;
import dev.weir.gateway.share.SharePartitions;
import dev.weir.gateway.share.ShareSettings;
import dev.weir.gateway.group.GroupOffsetsHandler;
import dev.weir.gateway.group.OffsetExpiry;
import dev.weir.gateway.handler.ApiVersionsHandler;
import dev.weir.gateway.handler.BrokerIdentity;
import dev.weir.gateway.handler.ClusterHandler;
import dev.weir.gateway.handler.ConfigHandler;
import dev.weir.gateway.handler.DeleteRecordsHandler;
import dev.weir.gateway.handler.FetchHandler;
import dev.weir.gateway.handler.ListOffsetsHandler;
import dev.weir.gateway.handler.MetadataHandler;
import dev.weir.gateway.handler.OffsetForLeaderEpochHandler;
import dev.weir.gateway.handler.ProduceHandler;
import dev.weir.gateway.handler.TopicAdminHandler;
import dev.weir.gateway.handler.TopicAutoCreator;
import dev.weir.gateway.metrics.KafkaMetrics;
import dev.weir.gateway.metrics.MetricsEndpoint;
import dev.weir.gateway.net.KafkaServer;
import dev.weir.gateway.net.RequestDispatcher;
import dev.weir.gateway.net.RequestHook;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.quota.ByteRateQuotas;
import dev.weir.gateway.quota.ClientQuotaHandler;
import dev.weir.gateway.quota.ClientQuotas;
import dev.weir.gateway.security.Access;
import dev.weir.gateway.security.AclHandler;
import dev.weir.gateway.security.AclStore;
import dev.weir.gateway.security.ListenerSecurity;
import dev.weir.gateway.security.SaslApisHandler;
import dev.weir.gateway.security.ScramCredentialHandler;
import dev.weir.gateway.security.ScramCredentials;
import dev.weir.gateway.txn.TransactionCoordinator;
import dev.weir.gateway.txn.TransactionHandler;
import dev.weir.gateway.watermark.WatermarkService;
import dev.weir.replication.ClusterConfig;
import dev.weir.replication.RatisLog;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoreOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running Weir gateway: the store, the catalog, the handlers and the server, wired once. */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final SegmentStore store;
    /** This node's replica of a cluster's store, or null for a single node. */
    private final RatisLog.Replica replica;
    /** Runs the callbacks of the state logs this node follows (in a cluster). */
    private final ExecutorService followers = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "weir-state-follower");
        t.setDaemon(true);
        return t;
    });
    /** Requests to the other nodes of a cluster (transaction markers), or null. */
    private final dev.weir.gateway.cluster.PeerClient peers;
    /** Told of every container's leader change while this gateway runs (in a cluster). */
    private final java.util.function.IntConsumer leaderListener;
    private final boolean coordinatorAtStart;
    /** False when the replica outlives this gateway (a {@link dev.weir.gateway.cluster.ClusterNode}'s). */
    private final boolean ownsReplica;
    private final TopicCatalog catalog;
    private final CommittedOffsets committedOffsets;
    private final GroupConfigs groupConfigs;
    private final ScheduledExecutorService groupTimers;
    private final KafkaServer server;
    private final ScheduledExecutorService background;
    private final JmxReporter jmx;
    private final MetricRegistry metrics;
    private final ApiRegistry registry;
    private final ByteRateQuotas byteRates;
    private final MetricsEndpoint endpoint;
    private volatile boolean serving;

    private Gateway(GatewayConfig config, MetricRegistry metrics, KafkaServer server, RequestHook givenHook, long started,
                    RatisLog.Replica external)
            throws InterruptedException {
        this.metrics = metrics;
        this.server = server;
        StoreOptions storeOptions = storeOptions(config, metrics);
        int nodeId = config.getInt(GatewayConfig.NODE_ID);
        ownsReplica = external == null;
        if (external != null) {
            replica = external;
            store = replica.store();
        } else if (config.clustered()) {
            replica = openReplica(config, storeOptions);
            store = replica.store();
        } else {
            replica = null;
            store = LmdbSegmentStore.open(storeOptions);
        }
        // Whether this gateway loads the coordinators' state as their owner: it serves them only then
        // (a node promoted later starts a new gateway, see ClusterNode). As owner it first lets every
        // committed record of the state's container be applied.
        coordinatorAtStart = store.leads(TopicCatalog.CATALOG_SEGMENT);
        if (replica != null && coordinatorAtStart) {
            try {
                replica.store().barrier(0).get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("the state of container 0 was not applied in time: " + e, e);
            }
        }
        catalog = TopicCatalog.open(store, config.getString(GatewayConfig.CLUSTER_ID));
        KafkaMetrics kafkaMetrics = new KafkaMetrics(metrics, catalog);
        TopicConfigs topicConfigs = new TopicConfigs(config);
        List<Listeners.Listener> listeners = config.listeners();
        BrokerIdentity identity = new BrokerIdentity(nodeId, listeners, catalog);
        if (replica != null) {
            identity.joinCluster(replica.log(), replica.store(), config.clusterNodes());
            catalog.useNodeProducerIds(config.dataDir(), nodeId);
        }
        ScramCredentials scram = ScramCredentials.open(store);
        if (catalog.isController()) {
            scram.bootstrap(config.scramUsers()); // in a cluster the controller writes them, for every node
        }
        Map<String, ListenerSecurity> security = ListenerSecurity.of(config, scram);
        AclStore acls = null;
        Access access = Access.allowAll();
        if (!config.getString(GatewayConfig.AUTHORIZER_CLASS_NAME).isEmpty()) {
            StandardAuthorizer authorizer = new StandardAuthorizer();
            // Its own counters (allowed/denied rates) live in a kafka-clients Metrics of their own.
            authorizer.withPluginMetrics(new org.apache.kafka.common.metrics.internals.PluginMetricsImpl(
                    new org.apache.kafka.common.metrics.Metrics(), Map.of()));
            authorizer.configure(Map.of(StandardAuthorizer.SUPER_USERS_CONFIG, config.getString(GatewayConfig.SUPER_USERS),
                    StandardAuthorizer.ALLOW_EVERYONE_IF_NO_ACL_IS_FOUND_CONFIG,
                    String.valueOf(config.getBoolean(GatewayConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND))));
            acls = AclStore.open(store, authorizer, catalog.clusterId(), nodeId);
            access = new Access(authorizer);
        }
        TopicAutoCreator autoCreator = new TopicAutoCreator(catalog,
                config.getBoolean(GatewayConfig.AUTO_CREATE_TOPICS_ENABLE), config.getInt(GatewayConfig.NUM_PARTITIONS));

        committedOffsets = CommittedOffsets.open(store);
        groupConfigs = GroupConfigs.open(store, config);
        groupTimers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weir-group-timers");
            t.setDaemon(true);
            return t;
        });
        GroupMetadataLog groupMetadata = GroupMetadataLog.open(store);
        GroupCoordinator groups = GroupCoordinator.open(groupTimers,
                config.getInt(GatewayConfig.GROUP_INITIAL_REBALANCE_DELAY_MS), committedOffsets, groupMetadata);
        ConsumerGroups consumerGroups = ConsumerGroups.open(groups, groupTimers, catalog,
                config.getList(GatewayConfig.GROUP_CONSUMER_ASSIGNORS), groupConfigs, groupMetadata);

        // A group's own share.* configs over the broker's group.share.* defaults, read at each use.
        ShareSettings.Source shareSettings = groupId -> new ShareSettings(
                groupConfigs.intValue(groupId, "share.record.lock.duration.ms"),
                groupConfigs.intValue(groupId, "share.delivery.count.limit"),
                groupConfigs.intValue(groupId, "share.partition.max.record.locks"),
                groupConfigs.value(groupId, "share.auto.offset.reset"),
                "read_committed".equalsIgnoreCase(groupConfigs.value(groupId, "share.isolation.level")),
                groupConfigs.intValue(groupId, "share.heartbeat.interval.ms"),
                groupConfigs.intValue(groupId, "share.session.timeout.ms"));
        ShareGroups shareGroups = ShareGroups.open(groups, consumerGroups, groupTimers, catalog, shareSettings,
                config.getInt(GatewayConfig.GROUP_SHARE_MAX_SIZE), groupMetadata);
        SharePartitions sharePartitions = SharePartitions.open(store, catalog, shareSettings, groupTimers);

        PartitionTransactions partitionTransactions = new PartitionTransactions(store);
        if (replica != null) {
            // open transactions and aborted ranges are re-read from the attributes after a leader change
            leaderListener = c -> partitionTransactions.forgetAll();
            replica.log().addLeaderListener(leaderListener);
        } else {
            leaderListener = null;
        }
        TransactionCoordinator.MarkerWriter markers = null;
        if (replica != null) {
            peers = new dev.weir.gateway.cluster.PeerClient(nodeId, config.clusterNodes());
            markers = new dev.weir.gateway.cluster.MarkerRouter(store, partitionTransactions, identity, peers)::write;
        } else {
            peers = null;
        }
        TransactionCoordinator transactions = TransactionCoordinator.open(store, catalog, partitionTransactions,
                committedOffsets, config.getInt(GatewayConfig.TRANSACTION_MAX_TIMEOUT_MS), markers);
        WatermarkService watermarks = WatermarkService.open(catalog, store,
                config.getLong(GatewayConfig.WATERMARKS_WRITER_TIMEOUT_MS));

        ClientQuotas clientQuotas = ClientQuotas.open(store);
        byteRates = new ByteRateQuotas(clientQuotas, config.getInt(GatewayConfig.QUOTA_WINDOW_NUM),
                config.getInt(GatewayConfig.QUOTA_WINDOW_SIZE_SECONDS));

        RequestHook hook = givenHook == null && replica != null
                ? new dev.weir.gateway.cluster.CoordinatorGuard(this::isController) : givenHook;
        KafkaEmulation emulation = KafkaEmulation.of(config.getString(GatewayConfig.EMULATE_KAFKA_VERSION));
        ShareFetchHandler shareFetch = new ShareFetchHandler(catalog, store, sharePartitions,
                config.getInt(GatewayConfig.GROUP_SHARE_MAX_SHARE_SESSIONS), partitionTransactions, access,
                config.getInt(GatewayConfig.FETCH_MAX_BYTES));
        shareGroups.wire(sharePartitions::initialize, shareFetch::memberLeft);
        registry = new ApiRegistry(emulation);
        registry.register(new ApiVersionsHandler(registry, replica == null ? (short) 2 : (short) 1))
                .register(new MetadataHandler(identity, catalog, autoCreator, access))
                .register(new ProduceHandler(catalog, topicConfigs, store,
                        config.getInt(GatewayConfig.PRODUCER_ID_EXPIRATION_MS), transactions, partitionTransactions,
                        watermarks, byteRates, access, kafkaMetrics)
                        .inCluster(replica == null ? null : identity::inSyncReplicas,
                                replica == null ? null : identity::leaderEpoch))
                .register(new FetchHandler(catalog, store,
                        config.getInt(GatewayConfig.MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS),
                        config.getInt(GatewayConfig.FETCH_MAX_BYTES), partitionTransactions, byteRates, access,
                        kafkaMetrics)
                        .inCluster(replica == null ? null : identity::checkLeaderEpoch))
                .register(new ListOffsetsHandler(catalog, store, partitionTransactions, access)
                        .inCluster(replica == null ? null : identity::checkLeaderEpoch, replica == null ? null : identity::leaderEpoch))
                .register(replica == null ? new OffsetForLeaderEpochHandler(catalog, access)
                        : new OffsetForLeaderEpochHandler(catalog, access).inCluster(store, identity::checkLeaderEpoch,
                                identity::leaderEpoch))
                .register(new TopicAdminHandler(catalog, topicConfigs, nodeId, config.getInt(GatewayConfig.NUM_PARTITIONS),
                        config.getBoolean(GatewayConfig.DELETE_TOPIC_ENABLE), access)
                        .inCluster(replica == null ? 1 : config.voters().size()))
                .register(new ConfigHandler(catalog, topicConfigs, groupConfigs, config, nodeId, access))
                .register(new DeleteRecordsHandler(catalog, store, access))
                .register(new ClusterHandler(identity, catalog, access))
                .register(new TransactionHandler(transactions, catalog, partitionTransactions, access))
                .register(new GroupMembershipHandler(groups, identity, access))
                .register(new ConsumerGroupHandler(consumerGroups, groups, catalog, access))
                .register(new GroupOffsetsHandler(groups, consumerGroups, committedOffsets, catalog, transactions, access))
                .register(new GroupAdminHandler(groups, consumerGroups, shareGroups,
                        groupId -> sharePartitions.delete(groupId, null), committedOffsets, access))
                .register(new ShareGroupHandler(shareGroups, groups, consumerGroups, catalog, access))
                .register(shareFetch)
                .register(new ShareOffsetsHandler(shareGroups, sharePartitions, catalog, store, access))
                .register(new ClientQuotaHandler(clientQuotas, access))
                .register(new SaslApisHandler())
                .register(new ScramCredentialHandler(scram, access))
                .register(new AclHandler(access, acls));

        if (replica != null) {
            registry.register(new dev.weir.gateway.cluster.TxnMarkerHandler(catalog, store, partitionTransactions, access));
            // what every node needs to know of the controller's state, followed as it is written
            if (acls != null) {
                acls.follow(followers);
            }
            scram.follow(followers);
            clientQuotas.follow(followers);
        }
        RetentionService retention = new RetentionService(catalog, topicConfigs, store);
        background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weir-retention");
            t.setDaemon(true);
            return t;
        });
        long interval = config.getLong(GatewayConfig.LOG_RETENTION_CHECK_INTERVAL_MS);
        background.scheduleWithFixedDelay(retention::enforce, interval, interval, TimeUnit.MILLISECONDS);
        OffsetExpiry offsetExpiry = new OffsetExpiry(groups, consumerGroups, committedOffsets, catalog,
                TimeUnit.MINUTES.toMillis(config.getInt(GatewayConfig.OFFSETS_RETENTION_MINUTES)));
        long expiryInterval = config.getLong(GatewayConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS);
        background.scheduleWithFixedDelay(onController(offsetExpiry::run), expiryInterval, expiryInterval,
                TimeUnit.MILLISECONDS);
        if (config.getBoolean(GatewayConfig.LOG_CLEANER_ENABLE)) {
            LogCleaner cleaner = new LogCleaner(catalog, topicConfigs, store, partitionTransactions);
            long backoff = config.getLong(GatewayConfig.LOG_CLEANER_BACKOFF_MS);
            background.scheduleWithFixedDelay(cleaner::run, backoff, backoff, TimeUnit.MILLISECONDS);
        }
        if (replica != null) {
            // partition segments are created by the leaders of their containers (see TopicCatalog)
            background.scheduleWithFixedDelay(catalog::reconcileSegments, 1, 1, TimeUnit.SECONDS);
        }
        long txnInterval = config.getInt(GatewayConfig.TRANSACTION_ABORT_INTERVAL_MS);
        background.scheduleWithFixedDelay(onController(transactions::abortTimedOut), txnInterval, txnInterval,
                TimeUnit.MILLISECONDS);
        long marksInterval = config.getLong(GatewayConfig.WATERMARKS_INTERVAL_MS);
        background.scheduleWithFixedDelay(watermarks::run, marksInterval, marksInterval, TimeUnit.MILLISECONDS);

        listeners.forEach(l -> identity.bound(l.name(), server.port(l.name())));
        server.accept(new RequestDispatcher(registry, metrics, kafkaMetrics, hook, catalog.topicNames()), security);
        serving = true;
        // After the listener: the platform MBean server takes ~100 ms to build, and need not delay
        // the first answer.
        jmx = config.getBoolean(GatewayConfig.METRICS_JMX_ENABLE)
                ? JmxReporter.forRegistry(metrics).inDomain("dev.weir").createsObjectNamesWith(kafkaMetrics.objectNames())
                        .build() : null;
        if (jmx != null) {
            jmx.start();
        }
        java.net.InetSocketAddress prometheus = config.prometheusListener();
        endpoint = prometheus == null ? null : MetricsEndpoint.start(prometheus.getHostString(), prometheus.getPort(),
                metrics, kafkaMetrics, () -> serving);
        if (endpoint != null) {
            log.info("Metrics endpoint on http://{}:{}/metrics (/health, /ready)", prometheus.getHostString(),
                    endpoint.port());
        }
        StringBuilder advertised = new StringBuilder();
        for (Listeners.Listener l : listeners) {
            BrokerIdentity.Endpoint e = identity.endpoint(l.name());
            advertised.append(advertised.length() == 0 ? "" : ", ").append(l.name()).append("://").append(e.host())
                    .append(':').append(e.port());
        }
        log.info("Weir gateway started in {} ms: node {} advertised as {}, data in {}, cluster {}",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), nodeId, advertised,
                config.dataDir().toAbsolutePath(), catalog.clusterId());
        if (registry.emulation().active()) {
            log.info("Emulating Kafka {}: ApiVersions advertises {} APIs as that release did",
                    registry.emulation().release(), registry.keys().size());
        }
    }

    /**
     * Binds the listener first (a taken port fails the start before the store opens, and Netty's
     * set-up overlaps LMDB's loading), opens the store and everything on it, then accepts.
     */
    public static Gateway start(GatewayConfig config) throws InterruptedException {
        return start(config, null);
    }

    /** As {@link #start(GatewayConfig)}, with {@code hook} (or null) consulted for every request before its handler. */
    public static Gateway start(GatewayConfig config, RequestHook hook) throws InterruptedException {
        return start(config, hook, null, new MetricRegistry());
    }

    /**
     * A gateway over a cluster node's replica that outlives it: closing the gateway leaves the
     * replica (and the node's place in the Raft groups) as it is.
     */
    public static Gateway start(GatewayConfig config, RatisLog.Replica replica, MetricRegistry metrics)
            throws InterruptedException {
        return start(config, null, replica, metrics);
    }

    private static Gateway start(GatewayConfig config, RequestHook hook, RatisLog.Replica replica,
                                 MetricRegistry metrics) throws InterruptedException {
        long started = System.nanoTime();
        KafkaServer server = new KafkaServer(config.listeners(),
                config.getInt(GatewayConfig.NUM_NETWORK_THREADS), config.getInt(GatewayConfig.SOCKET_REQUEST_MAX_BYTES),
                config.getLong(GatewayConfig.QUEUED_MAX_REQUEST_BYTES_PER_CONNECTION),
                config.getLong(GatewayConfig.QUEUED_MAX_REQUEST_BYTES), metrics);
        boolean opened = false;
        try {
            Gateway gateway = new Gateway(config, metrics, server, hook, started, replica);
            opened = true;
            return gateway;
        } finally {
            if (!opened) {
                server.close();
            }
        }
    }

    /** This node's replica of a cluster: its store and its Raft groups, opened as the configuration says. */
    public static RatisLog.Replica openReplica(GatewayConfig config, StoreOptions storeOptions) {
        return RatisLog.open(new ClusterConfig(config.getInt(GatewayConfig.NODE_ID), config.voters(),
                config.dataDir().resolve("raft"), config.getString(GatewayConfig.CLUSTER_ID),
                java.time.Duration.ofMillis(config.getInt(GatewayConfig.CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS)),
                java.time.Duration.ofMillis(config.getLong(GatewayConfig.REPLICA_LAG_TIME_MAX_MS))), storeOptions);
    }

    /** The store options the configuration gives. */
    public static StoreOptions storeOptions(GatewayConfig config, MetricRegistry metrics) {
        return new StoreOptions(config.dataDir(),
                config.getInt(GatewayConfig.STORAGE_CONTAINERS),
                config.getBoolean(GatewayConfig.STORAGE_SYNC),
                config.getLong(GatewayConfig.STORAGE_MAX_BYTES),
                config.getLong(GatewayConfig.STORAGE_INITIAL_MAP_BYTES),
                metrics, config.getLong(GatewayConfig.CACHE_MAX_BYTES));
    }

    /**
     * True unless this is a cluster node that does not lead the container of the gateway's state,
     * or leads it but started before it did (its coordinators' state is then not loaded: the
     * node's ClusterNode is starting a new gateway).
     */
    public boolean isController() {
        return coordinatorAtStart && catalog.isController();
    }

    /** Whether this gateway loaded the coordinators' state as its owner (always on a single node). */
    public boolean startedAsController() {
        return coordinatorAtStart;
    }

    /** The port of the first listener. */
    public int port() {
        return server.port();
    }

    /** The port a listener is bound to. */
    public int port(String listener) {
        return server.port(listener);
    }

    /** The served APIs and versions, as ApiVersions advertises them. */
    public ApiRegistry registry() {
        return registry;
    }

    /** Per-group config overrides (the GROUP config resource), for the group coordinators. */
    public GroupConfigs groupConfigs() {
        return groupConfigs;
    }

    public MetricRegistry metrics() {
        return metrics;
    }

    /** The port of the metrics endpoint (metrics.prometheus.listener), or -1 when it is off. */
    public int metricsPort() {
        return endpoint == null ? -1 : endpoint.port();
    }

    /** A coordinator's periodic task: in a cluster it runs on the node that holds the state (the controller). */
    private Runnable onController(Runnable task) {
        return () -> {
            if (isController()) {
                task.run();
            }
        };
    }

    /** Graceful stop: stop accepting, let in-flight work finish, commit what is queued, close the store. */
    @Override
    public void close() {
        log.info("Weir gateway stopping");
        serving = false;
        server.stopAccepting();
        background.shutdownNow();
        groupTimers.shutdownNow();
        server.close();
        byteRates.close();
        committedOffsets.close();
        catalog.close();
        if (leaderListener != null) {
            replica.log().removeLeaderListener(leaderListener);
        }
        if (peers != null) {
            peers.close();
        }
        followers.shutdownNow();
        if (replica == null) {
            store.close();
        } else if (ownsReplica) {
            replica.close(); // leaves the Raft groups, then closes the store
        }
        if (jmx != null) {
            jmx.stop();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        log.info("Weir gateway stopped");
    }

    /**
     * Stops as {@code kill -9} would, short of ending the process (for crash tests): connections are
     * cut, queued writes are dropped unapplied, nothing is acknowledged any more, the store closes
     * without its graceful steps. What was acknowledged survives, as ARCHITECTURE.md promises.
     */
    public void halt() {
        log.info("Weir gateway halting (simulated crash)");
        serving = false;
        server.halt();
        if (replica == null) {
            store.halt();
        } else if (ownsReplica) {
            replica.halt();
        }
        background.shutdownNow();
        groupTimers.shutdownNow();
        byteRates.close();
        committedOffsets.close();
        catalog.close();
        if (jmx != null) {
            jmx.stop();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        log.info("Weir gateway halted");
    }
}
