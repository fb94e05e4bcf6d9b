package dev.weir.gateway.config;

import dev.weir.gateway.api.KafkaEmulation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * The gateway's configuration: the one place that defines, documents and validates every key.
 * Keys reuse Apache Kafka's broker names where the meaning is the same. A wrong value stops the
 * start with a {@link org.apache.kafka.common.config.ConfigException} naming the key.
 */
public final class GatewayConfig extends AbstractConfig {

    public static final String LISTENERS = "listeners";
    public static final String ADVERTISED_LISTENERS = "advertised.listeners";
    public static final String LISTENER_SECURITY_PROTOCOL_MAP = "listener.security.protocol.map";
    public static final String AUTHORIZER_CLASS_NAME = "authorizer.class.name";
    public static final String SUPER_USERS = "super.users";
    public static final String ALLOW_EVERYONE_IF_NO_ACL_FOUND = "allow.everyone.if.no.acl.found";
    /** Kafka's KRaft authorizer, and Weir's name for the same thing. */
    public static final String KAFKA_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    public static final String WEIR_AUTHORIZER = "dev.weir.gateway.security.AclAuthorizer";
    public static final String NODE_ID = "node.id";
    public static final String CLUSTER_ID = "cluster.id";
    public static final String CONTROLLER_QUORUM_VOTERS = "controller.quorum.voters";
    public static final String CLUSTER_NODES = "cluster.nodes";
    public static final String CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS = "controller.quorum.election.timeout.ms";
    public static final String REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms";
    public static final String LOG_DIR = "log.dir";
    public static final String NUM_NETWORK_THREADS = "num.network.threads";
    public static final String NUM_PARTITIONS = "num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
    public static final String AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable";
    public static final String DELETE_TOPIC_ENABLE = "delete.topic.enable";
    public static final String MESSAGE_MAX_BYTES = "message.max.bytes";
    public static final String SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes";
    public static final String LOG_RETENTION_MS = "log.retention.ms";
    public static final String LOG_RETENTION_BYTES = "log.retention.bytes";
    public static final String LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";
    public static final String LOG_CLEANUP_POLICY = "log.cleanup.policy";
    public static final String LOG_MESSAGE_TIMESTAMP_TYPE = "log.message.timestamp.type";
    public static final String FETCH_MAX_BYTES = "fetch.max.bytes";
    public static final String MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS = "max.incremental.fetch.session.cache.slots";
    public static final String STORAGE_CONTAINERS = "storage.containers";
    public static final String STORAGE_SYNC = "storage.sync";
    public static final String STORAGE_MAX_BYTES = "storage.max.bytes";
    public static final String STORAGE_INITIAL_MAP_BYTES = "storage.initial.map.bytes";
    public static final String METRICS_JMX_ENABLE = "metrics.jmx.enable";
    public static final String METRICS_PROMETHEUS_LISTENER = "metrics.prometheus.listener";
    public static final String GROUP_INITIAL_REBALANCE_DELAY_MS = "group.initial.rebalance.delay.ms";
    public static final String GROUP_CONSUMER_SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms";
    public static final String GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_ASSIGNORS = "group.consumer.assignors";
    public static final String GROUP_SHARE_RECORD_LOCK_DURATION_MS = "group.share.record.lock.duration.ms";
    public static final String GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS = "group.share.min.record.lock.duration.ms";
    public static final String GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS = "group.share.max.record.lock.duration.ms";
    public static final String GROUP_SHARE_DELIVERY_COUNT_LIMIT = "group.share.delivery.count.limit";
    public static final String GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS = "group.share.partition.max.record.locks";
    public static final String GROUP_SHARE_HEARTBEAT_INTERVAL_MS = "group.share.heartbeat.interval.ms";
    public static final String GROUP_SHARE_SESSION_TIMEOUT_MS = "group.share.session.timeout.ms";
    public static final String GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS = "group.consumer.min.session.timeout.ms";
    public static final String GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS = "group.consumer.max.session.timeout.ms";
    public static final String GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS = "group.consumer.min.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS = "group.consumer.max.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MIN_SESSION_TIMEOUT_MS = "group.share.min.session.timeout.ms";
    public static final String GROUP_SHARE_MAX_SESSION_TIMEOUT_MS = "group.share.max.session.timeout.ms";
    public static final String GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS = "group.share.min.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS = "group.share.max.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT = "group.share.min.delivery.count.limit";
    public static final String GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT = "group.share.max.delivery.count.limit";
    public static final String GROUP_SHARE_MIN_PARTITION_MAX_RECORD_LOCKS = "group.share.min.partition.max.record.locks";
    public static final String GROUP_SHARE_MAX_PARTITION_MAX_RECORD_LOCKS = "group.share.max.partition.max.record.locks";
    public static final String GROUP_SHARE_MAX_SIZE = "group.share.max.size";
    public static final String GROUP_SHARE_MAX_SHARE_SESSIONS = "group.share.max.share.sessions";
    public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    public static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
    public static final String LOG_CLEANER_ENABLE = "log.cleaner.enable";
    public static final String LOG_CLEANER_BACKOFF_MS = "log.cleaner.backoff.ms";
    public static final String TRANSACTION_ABORT_INTERVAL_MS = "transaction.abort.timed.out.transaction.cleanup.interval.ms";
    public static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsets.retention.check.interval.ms";
    public static final String WATERMARKS_INTERVAL_MS = "watermarks.interval.ms";
    public static final String QUEUED_MAX_REQUEST_BYTES = "queued.max.request.bytes";
    public static final String CACHE_MAX_BYTES = "cache.max.bytes";
    public static final String QUOTA_WINDOW_NUM = "quota.window.num";
    public static final String QUOTA_WINDOW_SIZE_SECONDS = "quota.window.size.seconds";
    public static final String QUEUED_MAX_REQUEST_BYTES_PER_CONNECTION = "queued.max.request.bytes.per.connection";
    public static final String WATERMARKS_WRITER_TIMEOUT_MS = "watermarks.writer.timeout.ms";
    public static final String EMULATE_KAFKA_VERSION = "emulate.kafka.version";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(LISTENERS, Type.STRING, "PLAINTEXT://127.0.0.1:9092", new ListenerValidator(), Importance.HIGH,
                    "The listeners, comma-separated, each NAME://host:port; the name's security protocol comes "
                            + "from listener.security.protocol.map. Host 0.0.0.0 or empty listens on all interfaces; "
                            + "port 0 picks a free port.")
            .define(ADVERTISED_LISTENERS, Type.STRING, "", new ListenerValidator(), Importance.HIGH,
                    "The addresses clients are told to connect to, NAME://host:port per listener; Metadata and "
                            + "FindCoordinator answer with the one of the listener the request came in on. A listener "
                            + "left out advertises its own address (0.0.0.0 or empty as 127.0.0.1).")
            .define(LISTENER_SECURITY_PROTOCOL_MAP, Type.STRING, Listeners.DEFAULT_PROTOCOL_MAP, new ProtocolMapValidator(),
                    Importance.MEDIUM, "Security protocol of each listener name, as NAME:PROTOCOL pairs; protocols "
                            + "are PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL. Settings of one listener are given "
                            + "with the prefix listener.name.<name in lower case>., e.g. "
                            + "listener.name.external.ssl.keystore.location, and for SASL also per mechanism: "
                            + "listener.name.<name>.<mechanism in lower case>.sasl.jaas.config.")
            .define(AUTHORIZER_CLASS_NAME, Type.STRING, "", ValidString.in("", KAFKA_AUTHORIZER, WEIR_AUTHORIZER),
                    Importance.HIGH, "The ACL authorizer. Empty: none, everyone may do everything. " + KAFKA_AUTHORIZER
                            + " (Kafka's own, which Weir runs) or its Weir alias " + WEIR_AUTHORIZER
                            + ": requests are checked against the ACLs kept with CreateAcls/DeleteAcls (kafka-acls).")
            .define(SUPER_USERS, Type.STRING, "", Importance.MEDIUM,
                    "Principals allowed everything whatever the ACLs, separated by semicolons, e.g. User:admin;User:ops.")
            .define(ALLOW_EVERYONE_IF_NO_ACL_FOUND, Type.BOOLEAN, false, Importance.MEDIUM,
                    "With an authorizer: whether a resource that no ACL names is open to everyone (true) or to "
                            + "super users only (false), as in Kafka.")
            .define(NODE_ID, Type.INT, 1, Range.atLeast(0), Importance.MEDIUM,
                    "This gateway's broker id, reported in Metadata and as the leader of every partition.")
            .define(CLUSTER_ID, Type.STRING, "", Importance.LOW,
                    "Cluster id reported to clients. Empty: a random id is made on first start and kept in the data. "
                            + "A cluster needs it set, the same on every node.")
            .define(CONTROLLER_QUORUM_VOTERS, Type.STRING, "", new NodeListValidator(), Importance.HIGH,
                    "The nodes of a cluster as id@host:port of each node's inter-node (Raft) listener, this node's "
                            + "included, e.g. 1@127.0.0.1:9192,2@127.0.0.1:9193,3@127.0.0.1:9194. Every node is a "
                            + "replica of every storage container. Empty: a single node, as without replication.")
            .define(CLUSTER_NODES, Type.STRING, "", new NodeListValidator(), Importance.HIGH,
                    "With controller.quorum.voters: each node's client address as id@host:port, the address "
                            + "clients are sent to for what that node leads; the same ids as the voters.")
            .define(CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS, Type.INT, 1000, Range.between(100, 60_000), Importance.MEDIUM,
                    "In a cluster: how long a follower waits without hearing from its container's leader before "
                            + "it stands for election (a random time between this and twice this).")
            .define(REPLICA_LAG_TIME_MAX_MS, Type.LONG, 30_000L, Range.atLeast(1), Importance.MEDIUM,
                    "In a cluster: a follower not heard from by its leader for this long leaves the ISR.")
            .define(LOG_DIR, Type.STRING, "./data", new NonEmpty(), Importance.HIGH,
                    "Directory holding all data: one LMDB environment per storage container.")
            .define(NUM_NETWORK_THREADS, Type.INT, 3, Range.between(1, 256), Importance.MEDIUM,
                    "Netty event-loop threads serving connections.")
            .define(NUM_PARTITIONS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of an auto-created topic, and of a created topic that asks for the default (-1).")
            .define(DEFAULT_REPLICATION_FACTOR, Type.SHORT, (short) 1, Range.between(1, 1), Importance.LOW,
                    "Replication factor of topics created without one. Only 1 is valid; in a cluster every node is a replica of every partition whatever the factor asked (up to the node count).")
            .define(AUTO_CREATE_TOPICS_ENABLE, Type.BOOLEAN, true, Importance.HIGH,
                    "Create a topic when a client asks Metadata for one that does not exist.")
            .define(DELETE_TOPIC_ENABLE, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Allow DeleteTopics. When false, it answers TOPIC_DELETION_DISABLED.")
            .define(MESSAGE_MAX_BYTES, Type.INT, 1048588, Range.atLeast(0), Importance.HIGH,
                    "Largest record batch accepted (after compression), the default of the topic config max.message.bytes.")
            .define(SOCKET_REQUEST_MAX_BYTES, Type.INT, 104857600, Range.atLeast(1024), Importance.MEDIUM,
                    "Largest request frame; a larger size prefix closes the connection.")
            .define(LOG_RETENTION_MS, Type.LONG, 604800000L, Range.atLeast(-1), Importance.HIGH,
                    "Default of the topic config retention.ms: records older than this are deleted. -1: no time limit.")
            .define(LOG_RETENTION_BYTES, Type.LONG, -1L, Range.atLeast(-1), Importance.MEDIUM,
                    "Default of the topic config retention.bytes: per-partition size above which the oldest records "
                            + "are deleted. -1: no size limit.")
            .define(LOG_RETENTION_CHECK_INTERVAL_MS, Type.LONG, 300000L, Range.atLeast(1), Importance.LOW,
                    "How often retention is enforced.")
            .define(LOG_CLEANUP_POLICY, Type.LIST, "delete", ConfigDef.ValidList.in("delete", "compact"),
                    Importance.MEDIUM, "Default of the topic config cleanup.policy.")
            .define(LOG_MESSAGE_TIMESTAMP_TYPE, Type.STRING, "CreateTime", ValidString.in("CreateTime", "LogAppendTime"),
                    Importance.MEDIUM, "Default of the topic config message.timestamp.type.")
            .define(FETCH_MAX_BYTES, Type.INT, 57671680, Range.atLeast(1024), Importance.MEDIUM,
                    "Upper bound on the bytes one Fetch response returns, whatever the client asks.")
            .define(MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS, Type.INT, 1000, Range.atLeast(0), Importance.LOW,
                    "Incremental fetch sessions (KIP-227) kept at once; the least recently used is evicted.")
            .define(STORAGE_CONTAINERS, Type.INT, 0, Range.between(0, 1024), Importance.HIGH,
                    "Segment containers: each is one LMDB environment with one sequencer thread. "
                            + "Fixed for the life of the data directory. 0: the count the data directory was "
                            + "created with, or for a new one, one per processor.")
            .define(STORAGE_SYNC, Type.BOOLEAN, true, Importance.HIGH,
                    "fsync every group commit before acknowledging. true: an acknowledged record survives power "
                            + "loss. false: it survives a process crash (kill -9) but a machine crash may lose the "
                            + "last commits; produce latency drops.")
            .define(STORAGE_MAX_BYTES, Type.LONG, 256L * 1024 * 1024 * 1024, Range.atLeast(1024 * 1024), Importance.HIGH,
                    "On-disk budget for all data, split evenly across containers. Appends past it fail with "
                            + "KAFKA_STORAGE_ERROR; reads keep working and deletes free space.")
            .define(STORAGE_INITIAL_MAP_BYTES, Type.LONG, 64L * 1024 * 1024, Range.atLeast(64 * 1024), Importance.LOW,
                    "Starting size of each container's LMDB map; it doubles on demand up to its share of "
                            + "storage.max.bytes.")
            .define(METRICS_JMX_ENABLE, Type.BOOLEAN, true, Importance.LOW,
                    "Publish the metrics registry over JMX: Weir's own under the domain dev.weir, Kafka's "
                            + "broker metrics under Kafka's names (kafka.server:type=BrokerTopicMetrics, ...).")
            .define(METRICS_PROMETHEUS_LISTENER, Type.STRING, "", new HostPortValidator(), Importance.MEDIUM,
                    "host:port of the HTTP endpoint serving /metrics (Prometheus text format), /health and "
                            + "/ready; port 0 picks a free port. Empty: no endpoint.")
            .define(GROUP_INITIAL_REBALANCE_DELAY_MS, Type.INT, 3000, Range.atLeast(0), Importance.MEDIUM,
                    "How long an empty consumer group waits for more members before its first rebalance; each "
                            + "new member extends the wait by this much, up to the rebalance timeout. 0: no wait.")
            .define(GROUP_CONSUMER_SESSION_TIMEOUT_MS, Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "Consumer protocol (KIP-848) groups: a member that sends no heartbeat for this long is removed.")
            .define(GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "Consumer protocol (KIP-848) groups: how often members are told to heartbeat.")
            .define(GROUP_CONSUMER_ASSIGNORS, Type.LIST, "uniform,range", new AssignorsValidator(), Importance.MEDIUM,
                    "Consumer protocol (KIP-848) groups: the server-side assignors offered, by name (uniform, range); "
                            + "the first is used when members ask for none.")
            .define(GROUP_SHARE_RECORD_LOCK_DURATION_MS, Type.INT, 30000, Range.between(1000, 3600000), Importance.MEDIUM,
                    "Share groups: how long a record handed to a consumer stays locked to it; unacknowledged by "
                            + "then, it is released for another delivery.")
            .define(GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS, Type.INT, 15000, Range.between(1000, 30000), Importance.MEDIUM,
                    "Share groups: the least lock duration allowed (the broker's and a group's share.record.lock.duration.ms).")
            .define(GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS, Type.INT, 60000, Range.between(30000, 3600000),
                    Importance.MEDIUM, "Share groups: the longest lock duration allowed.")
            .define(GROUP_SHARE_DELIVERY_COUNT_LIMIT, Type.INT, 5, Range.between(2, 10), Importance.MEDIUM,
                    "Share groups: how many times a record is delivered at most; released or timed out that "
                            + "often, it is archived and never delivered again.")
            .define(GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS, Type.INT, 2000, Range.between(100, 10000), Importance.MEDIUM,
                    "Share groups: the most records of one partition in flight (acquired or awaiting redelivery) "
                            + "at a time.")
            .define(GROUP_SHARE_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: how often members are told to heartbeat.")
            .define(GROUP_SHARE_SESSION_TIMEOUT_MS, Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: a member that sends no heartbeat for this long is removed.")
            .define(GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS, Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "Consumer protocol groups: the least session timeout a group may set (consumer.session.timeout.ms).")
            .define(GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS, Type.INT, 60000, Range.atLeast(1), Importance.MEDIUM,
                    "Consumer protocol groups: the longest session timeout a group may set.")
            .define(GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "Consumer protocol groups: the least heartbeat interval a group may set (consumer.heartbeat.interval.ms).")
            .define(GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS, Type.INT, 15000, Range.atLeast(1), Importance.MEDIUM,
                    "Consumer protocol groups: the longest heartbeat interval a group may set.")
            .define(GROUP_SHARE_MIN_SESSION_TIMEOUT_MS, Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: the least session timeout a group may set (share.session.timeout.ms).")
            .define(GROUP_SHARE_MAX_SESSION_TIMEOUT_MS, Type.INT, 60000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: the longest session timeout a group may set.")
            .define(GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: the least heartbeat interval a group may set (share.heartbeat.interval.ms).")
            .define(GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS, Type.INT, 15000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: the longest heartbeat interval a group may set.")
            .define(GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT, Type.INT, 2, Range.between(2, 5), Importance.MEDIUM,
                    "Share groups: the least delivery count limit a group may set (share.delivery.count.limit).")
            .define(GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT, Type.INT, 10, Range.between(5, 25), Importance.MEDIUM,
                    "Share groups: the most delivery count limit a group may set.")
            .define(GROUP_SHARE_MIN_PARTITION_MAX_RECORD_LOCKS, Type.INT, 100, Range.between(100, 2000), Importance.MEDIUM,
                    "Share groups: the least share.partition.max.record.locks a group may set.")
            .define(GROUP_SHARE_MAX_PARTITION_MAX_RECORD_LOCKS, Type.INT, 4000, Range.between(2000, 10000), Importance.MEDIUM,
                    "Share groups: the most share.partition.max.record.locks a group may set.")
            .define(GROUP_SHARE_MAX_SIZE, Type.INT, 200, Range.between(1, 1000), Importance.MEDIUM,
                    "Share groups: the most members one share group may have.")
            .define(GROUP_SHARE_MAX_SHARE_SESSIONS, Type.INT, 2000, Range.atLeast(1), Importance.MEDIUM,
                    "Share groups: the most share sessions (one per consumer) the gateway keeps.")
            .define(OFFSETS_RETENTION_MINUTES, Type.INT, 10080, Range.atLeast(1), Importance.MEDIUM,
                    "Committed offsets of a group that has been empty this long are removed (and then the group); "
                            + "a live consumer group's offsets of topics it no longer subscribes to expire this long "
                            + "after their commit.")
            .define(OFFSETS_RETENTION_CHECK_INTERVAL_MS, Type.LONG, 600000L, Range.atLeast(1), Importance.LOW,
                    "How often expired committed offsets are looked for.")
            .define(PRODUCER_ID_EXPIRATION_MS, Type.INT, 86400000, Range.atLeast(1), Importance.LOW,
                    "A partition forgets an idempotent producer that has not written to it for this long: its "
                            + "next batch may start at any sequence number.")
            .define(TRANSACTION_MAX_TIMEOUT_MS, Type.INT, 900000, Range.atLeast(1), Importance.MEDIUM,
                    "The largest transaction.timeout.ms a transactional producer may ask for; a larger one is "
                            + "refused with INVALID_TRANSACTION_TIMEOUT.")
            .define(TRANSACTION_ABORT_INTERVAL_MS, Type.INT, 10000, Range.atLeast(1), Importance.LOW,
                    "How often transactions open longer than their timeout are looked for and aborted.")
            .define(LOG_CLEANER_ENABLE, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Whether topics with cleanup.policy=compact are compacted.")
            .define(LOG_CLEANER_BACKOFF_MS, Type.LONG, 15000L, Range.atLeast(1), Importance.LOW,
                    "How long the log cleaner sleeps between passes over the compacted topics.")
            .define(WATERMARKS_INTERVAL_MS, Type.LONG, 10000L, Range.atLeast(1), Importance.MEDIUM,
                    "How often the time watermarks of topics whose writers note time (header weir.note-time) "
                            + "are computed, and published to __weir_watermarks when they advance.")
            .define(WATERMARKS_WRITER_TIMEOUT_MS, Type.LONG, 60000L, Range.atLeast(1), Importance.MEDIUM,
                    "A writer that has noted no time for this long stops holding a topic's time watermark back.")
            .define(CACHE_MAX_BYTES, Type.LONG, 268435456L, Range.atLeast(0), Importance.MEDIUM,
                    "Off-heap append cache for the tails of partitions (Pravega's streaming cache), shared "
                            + "equally by the storage containers, each at least one 2 MiB buffer; allocated as it "
                            + "fills. Fetches at the tail are served from it without touching LMDB. 0 turns it off.")
            .define(QUEUED_MAX_REQUEST_BYTES, Type.LONG, 536870912L, Range.atLeast(1), Importance.MEDIUM,
                    "Bytes of requests read but not yet answered, over all connections, above which connections "
                            + "stop reading until the total falls below half of it.")
            .define(QUEUED_MAX_REQUEST_BYTES_PER_CONNECTION, Type.LONG, 134217728L, Range.atLeast(1),
                    Importance.MEDIUM, "Bytes of one connection's requests read but not yet answered above which it "
                            + "stops reading until they fall below half of it. A client faster than the disk waits "
                            + "in TCP, not in the gateway's memory.")
            .define(QUOTA_WINDOW_NUM, Type.INT, 11, Range.atLeast(1), Importance.LOW,
                    "Samples kept of a client's byte rate for its producer_byte_rate and consumer_byte_rate "
                            + "quotas (set with AlterClientQuotas).")
            .define(QUOTA_WINDOW_SIZE_SECONDS, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                    "Length of each sample of a client's byte rate.")
            .define(EMULATE_KAFKA_VERSION, Type.STRING, "", emulatedReleases(), Importance.MEDIUM,
                    "Answer as a default-configured broker of this Kafka release did, to test clients against an "
                            + "old cluster: ApiVersions advertises only the APIs and versions that release did "
                            + "(within what Weir serves) and its features; a request for an API it lacked, or at a "
                            + "version above its range, closes the connection as it did. 2.8 and 3.0 as ZooKeeper "
                            + "brokers, 3.6 and later as KRaft brokers. Empty: Weir's own APIs and features.");

    private static ValidString emulatedReleases() {
        List<String> values = new java.util.ArrayList<>();
        values.add("");
        values.addAll(KafkaEmulation.releases());
        return ValidString.in(values.toArray(String[]::new));
    }

    /**
     * Kafka's broker security keys that Weir takes, defined as Kafka defines them (type, default,
     * validation and documentation from kafka-clients' {@code BrokerSecurityConfigs}). Each may also
     * be given for one listener with its prefix (listener.name.&lt;name&gt;.key).
     */
    public static final List<String> SECURITY_KEYS = List.of(
            "ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
            "ssl.keystore.certificate.chain", "ssl.keystore.key",
            "ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.certificates",
            "ssl.client.auth", "ssl.protocol", "ssl.enabled.protocols", "ssl.cipher.suites",
            "ssl.endpoint.identification.algorithm", "ssl.keymanager.algorithm", "ssl.trustmanager.algorithm",
            "ssl.provider", "ssl.secure.random.implementation", "ssl.engine.factory.class",
            "ssl.principal.mapping.rules", "principal.builder.class",
            "sasl.enabled.mechanisms", "sasl.server.max.receive.size", "connections.max.reauth.ms");

    /** Per-mechanism keys of a SASL listener: listener.name.&lt;name&gt;.&lt;mechanism&gt;.key. */
    public static final List<String> MECHANISM_KEYS = List.of("sasl.jaas.config", "connections.max.reauth.ms");

    static {
        for (String key : SECURITY_KEYS) {
            DEFINITION.define(org.apache.kafka.common.config.internals.BrokerSecurityConfigs.CONFIG_DEF.configKeys().get(key));
        }
    }

    /** Whether {@code key} is a listener-prefixed form of a security key (or of a per-mechanism one). */
    public static boolean isListenerKey(String key) {
        if (!key.startsWith(Listeners.PREFIX)) {
            return false;
        }
        String rest = key.substring(Listeners.PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot <= 0) {
            return false;
        }
        String setting = rest.substring(dot + 1);
        if (SECURITY_KEYS.contains(setting)) {
            return true;
        }
        int mechanismDot = setting.indexOf('.');
        return mechanismDot > 0 && MECHANISM_KEYS.contains(setting.substring(mechanismDot + 1));
    }

    /** Assignor names Weir implements. */
    private static final class AssignorsValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            @SuppressWarnings("unchecked")
            java.util.List<String> names = (java.util.List<String>) value;
            if (names == null || names.isEmpty()) {
                throw new org.apache.kafka.common.config.ConfigException(name, value, "at least one assignor is needed");
            }
            for (String n : names) {
                if (!n.equals("uniform") && !n.equals("range")) {
                    throw new org.apache.kafka.common.config.ConfigException(name, value,
                            "unknown assignor " + n + "; known: uniform, range");
                }
            }
        }

        @Override
        public String toString() {
            return "[uniform, range]";
        }
    }

    private List<ScramUser> scramUsers = List.of();

    public GatewayConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
        listeners(); // names without a protocol, clashing ports: refused at load, naming the key
        validateCluster();
        int lock = getInt(GROUP_SHARE_RECORD_LOCK_DURATION_MS);
        if (lock < getInt(GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS) || lock > getInt(GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS)) {
            throw new org.apache.kafka.common.config.ConfigException(GROUP_SHARE_RECORD_LOCK_DURATION_MS, lock,
                    "must be between " + GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS + " and "
                            + GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS);
        }
    }

    /** True if this node is one of a cluster's ({@code controller.quorum.voters} is set). */
    public boolean clustered() {
        return !getString(CONTROLLER_QUORUM_VOTERS).isBlank();
    }

    /** The voters: node id to inter-node address. */
    public Map<Integer, java.net.InetSocketAddress> voters() {
        return NodeListValidator.parse(getString(CONTROLLER_QUORUM_VOTERS));
    }

    /** Each node's client address. */
    public Map<Integer, java.net.InetSocketAddress> clusterNodes() {
        return NodeListValidator.parse(getString(CLUSTER_NODES));
    }

    private void validateCluster() {
        if (!clustered()) {
            if (!getString(CLUSTER_NODES).isBlank()) {
                throw new org.apache.kafka.common.config.ConfigException(CLUSTER_NODES, getString(CLUSTER_NODES),
                        "is for a cluster: set " + CONTROLLER_QUORUM_VOTERS + " too");
            }
            return;
        }
        Map<Integer, java.net.InetSocketAddress> voters = voters();
        if (!voters.containsKey(getInt(NODE_ID))) {
            throw new org.apache.kafka.common.config.ConfigException(CONTROLLER_QUORUM_VOTERS,
                    getString(CONTROLLER_QUORUM_VOTERS), "does not list this node's " + NODE_ID + " " + getInt(NODE_ID));
        }
        if (!clusterNodes().keySet().equals(voters.keySet())) {
            throw new org.apache.kafka.common.config.ConfigException(CLUSTER_NODES, getString(CLUSTER_NODES),
                    "must list the same node ids as " + CONTROLLER_QUORUM_VOTERS + " " + voters.keySet());
        }
        if (getInt(STORAGE_CONTAINERS) <= 0) {
            throw new org.apache.kafka.common.config.ConfigException(STORAGE_CONTAINERS, getInt(STORAGE_CONTAINERS),
                    "must be set (1 or more, the same on every node) in a cluster");
        }
        if (getString(CLUSTER_ID).isBlank()) {
            throw new org.apache.kafka.common.config.ConfigException(CLUSTER_ID, "",
                    "must be set, the same on every node, in a cluster");
        }
        if (getInt(MESSAGE_MAX_BYTES) > dev.weir.storage.ContainerLog.MAX_GROUP_BYTES) {
            throw new org.apache.kafka.common.config.ConfigException(MESSAGE_MAX_BYTES, getInt(MESSAGE_MAX_BYTES),
                    "must be at most " + dev.weir.storage.ContainerLog.MAX_GROUP_BYTES
                            + " in a cluster (a batch travels in one Raft entry)");
        }
    }

    /** SCRAM users to create at start if missing (--add-scram). */
    public List<ScramUser> scramUsers() {
        return scramUsers;
    }

    void addScramUsers(List<ScramUser> users) {
        scramUsers = List.copyOf(users);
    }

    /** The listeners, in the order configured, each with its advertised address. */
    public List<Listeners.Listener> listeners() {
        return Listeners.parse(getString(LISTENERS), getString(ADVERTISED_LISTENERS),
                getString(LISTENER_SECURITY_PROTOCOL_MAP));
    }

    /**
     * The settings of one listener as Kafka's security classes take them: every key with its parsed
     * value, overridden by the listener-prefixed ones (listener.name.&lt;name&gt;.key), and the
     * per-mechanism ones (&lt;mechanism&gt;.sasl.jaas.config, ...) with the listener prefix stripped.
     * Blank values count as unset.
     */
    public Map<String, Object> listenerValues(String listenerName) {
        String prefix = Listeners.configPrefix(listenerName);
        Map<String, Object> out = new java.util.HashMap<>();
        valuesWithPrefixOverride(prefix).forEach((k, v) -> {
            if (!k.startsWith(Listeners.PREFIX) && !isBlank(v)) {
                out.put(k, v);
            }
        });
        // Kafka's broker reads these as passwords; unknown to the ConfigDef, they come back as strings.
        originals().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                String rest = k.substring(prefix.length());
                if (rest.endsWith("." + org.apache.kafka.common.config.SaslConfigs.SASL_JAAS_CONFIG) && !isBlank(v)) {
                    out.put(rest, v instanceof org.apache.kafka.common.config.types.Password
                            ? v : new org.apache.kafka.common.config.types.Password(String.valueOf(v)));
                } else if (rest.endsWith("." + org.apache.kafka.common.config.internals.BrokerSecurityConfigs.CONNECTIONS_MAX_REAUTH_MS_CONFIG)) {
                    out.put(rest, ConfigDef.parseType(k, v, Type.LONG));
                }
            }
        });
        return out;
    }

    /** Whether {@code key} was set (not left at its default) for {@code listenerName} by its prefixed form. */
    public boolean setForListener(String listenerName, String key) {
        Object v = originals().get(Listeners.configPrefix(listenerName) + key);
        return v != null && !isBlank(v);
    }

    private static boolean isBlank(Object v) {
        if (v == null) {
            return true;
        }
        String s = v instanceof org.apache.kafka.common.config.types.Password p ? p.value() : String.valueOf(v);
        return s.isBlank();
    }

    public Path dataDir() {
        return Path.of(getString(LOG_DIR));
    }

    /** Every key with its current value, for the broker's DescribeConfigs. */
    public Map<String, Object> allValues() {
        return new LinkedHashMap<>(values());
    }

    public static List<String> keys() {
        return List.copyOf(DEFINITION.names());
    }

    private static final class ListenerValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            Listeners.parseList(name, String.valueOf(value));
        }

        @Override
        public String toString() {
            return "NAME://host:port,...";
        }
    }

    private static final class ProtocolMapValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            Listeners.parseProtocolMap(String.valueOf(value));
        }

        @Override
        public String toString() {
            return "NAME:PROTOCOL,...";
        }
    }

    /** The metrics endpoint's address, or null when it is off. */
    public java.net.InetSocketAddress prometheusListener() {
        String value = getString(METRICS_PROMETHEUS_LISTENER).trim();
        if (value.isEmpty()) {
            return null;
        }
        int colon = value.lastIndexOf(':');
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return java.net.InetSocketAddress.createUnresolved(host.isEmpty() ? "0.0.0.0" : host,
                Integer.parseInt(value.substring(colon + 1)));
    }

    /** Empty, or host:port with a port from 0 to 65535 (host empty: every interface). */
    /** Kafka's voter list format, id@host:port,...; empty is allowed (no cluster). */
    private static final class NodeListValidator implements ConfigDef.Validator {
        static Map<Integer, java.net.InetSocketAddress> parse(String list) {
            return dev.weir.replication.ClusterConfig.parseNodes(list);
        }

        @Override
        public void ensureValid(String name, Object value) {
            String v = value == null ? "" : String.valueOf(value).trim();
            if (v.isEmpty()) {
                return;
            }
            try {
                parse(v);
            } catch (IllegalArgumentException e) {
                throw new org.apache.kafka.common.config.ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "id@host:port,id@host:port,..., or empty";
        }
    }

    private static final class HostPortValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            String v = value == null ? "" : String.valueOf(value).trim();
            if (v.isEmpty()) {
                return;
            }
            int colon = v.lastIndexOf(':');
            int port = -1;
            if (colon >= 0) {
                try {
                    port = Integer.parseInt(v.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
            if (port < 0 || port > 65535) {
                throw new org.apache.kafka.common.config.ConfigException(name, value,
                        "must be host:port with a port from 0 to 65535, or empty");
            }
        }

        @Override
        public String toString() {
            return "host:port, or empty";
        }
    }

    private static final class NonEmpty implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || String.valueOf(value).isBlank()) {
                throw new org.apache.kafka.common.config.ConfigException(name, value, "must not be empty");
            }
        }

        @Override
        public String toString() {
            return "non-empty";
        }
    }
}
