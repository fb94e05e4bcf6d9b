package dev.weir.gateway.catalog;

import dev.weir.gateway.config.GatewayConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Topic-level configuration: Kafka's topic config names, their types, defaults (taken from the
 * gateway's broker-level keys where Kafka does the same) and validation.
 */
public final class TopicConfigs {

    /** A topic config key and, when its default comes from a broker key, that key. */
    public record Key(String name, String brokerSynonym) {
    }

    private final ConfigDef definition;
    private final Map<String, String> brokerSynonyms = new LinkedHashMap<>();
    private final Map<String, Object> defaults = new HashMap<>();
    private final Set<String> brokerKeysSetExplicitly;
    private final Map<Map<String, String>, Effective> effective = new java.util.concurrent.ConcurrentHashMap<>();

    private static final ConfigDef.Validator NO_TIERED_STORAGE = (name, value) -> {
        if (Boolean.TRUE.equals(value)) {
            throw new ConfigException(name, value, "Weir has no tiered storage");
        }
    };

    public TopicConfigs(GatewayConfig broker) {
        this.brokerKeysSetExplicitly = broker.originals().keySet();
        long maxLong = Long.MAX_VALUE;
        definition = new ConfigDef()
                .define(TopicConfig.CLEANUP_POLICY_CONFIG, Type.LIST,
                        String.join(",", broker.getList(GatewayConfig.LOG_CLEANUP_POLICY)),
                        ConfigDef.ValidList.in(TopicConfig.CLEANUP_POLICY_DELETE, TopicConfig.CLEANUP_POLICY_COMPACT),
                        Importance.MEDIUM, TopicConfig.CLEANUP_POLICY_DOC)
                .define(TopicConfig.COMPRESSION_TYPE_CONFIG, Type.STRING, "producer", ValidString.in("producer"),
                        Importance.MEDIUM, "Weir stores batches exactly as the producer compressed them; "
                                + "only 'producer' is accepted.")
                .define(TopicConfig.DELETE_RETENTION_MS_CONFIG, Type.LONG, 86400000L, Range.atLeast(0),
                        Importance.MEDIUM, TopicConfig.DELETE_RETENTION_MS_DOC)
                .define(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, Type.LONG, 60000L, Range.atLeast(0),
                        Importance.LOW, TopicConfig.FILE_DELETE_DELAY_MS_DOC)
                .define(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, Type.LONG, maxLong, Range.atLeast(1),
                        Importance.LOW, "Accepted for compatibility; Weir commits every group durably when storage.sync=true.")
                .define(TopicConfig.FLUSH_MS_CONFIG, Type.LONG, maxLong, Range.atLeast(0),
                        Importance.LOW, "Accepted for compatibility; Weir commits every group durably when storage.sync=true.")
                .define(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, Type.INT, 4096, Range.atLeast(0),
                        Importance.LOW, "Accepted for compatibility; Weir indexes every batch.")
                .define(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, Type.LONG, maxLong, Range.atLeast(1),
                        Importance.LOW, TopicConfig.MAX_COMPACTION_LAG_MS_DOC)
                .define(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Type.INT, broker.getInt(GatewayConfig.MESSAGE_MAX_BYTES),
                        Range.atLeast(0), Importance.MEDIUM, TopicConfig.MAX_MESSAGE_BYTES_DOC)
                .define(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, Type.STRING,
                        broker.getString(GatewayConfig.LOG_MESSAGE_TIMESTAMP_TYPE),
                        ValidString.in("CreateTime", "LogAppendTime"), Importance.MEDIUM,
                        TopicConfig.MESSAGE_TIMESTAMP_TYPE_DOC)
                .define(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, Type.LONG, maxLong, Range.atLeast(0),
                        Importance.LOW, TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_DOC)
                .define(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, Type.LONG, 3600000L, Range.atLeast(0),
                        Importance.LOW, TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_DOC)
                .define(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, Type.DOUBLE, 0.5, Range.between(0, 1),
                        Importance.LOW, TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_DOC)
                .define(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Type.LONG, 0L, Range.atLeast(0),
                        Importance.LOW, TopicConfig.MIN_COMPACTION_LAG_MS_DOC)
                .define(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Type.INT, 1, Range.atLeast(1),
                        Importance.LOW, TopicConfig.MIN_IN_SYNC_REPLICAS_DOC)
                .define(TopicConfig.PREALLOCATE_CONFIG, Type.BOOLEAN, false, Importance.LOW,
                        "Accepted for compatibility; has no effect in Weir.")
                .define(TopicConfig.RETENTION_BYTES_CONFIG, Type.LONG, broker.getLong(GatewayConfig.LOG_RETENTION_BYTES),
                        Range.atLeast(-1), Importance.MEDIUM, TopicConfig.RETENTION_BYTES_DOC)
                .define(TopicConfig.RETENTION_MS_CONFIG, Type.LONG, broker.getLong(GatewayConfig.LOG_RETENTION_MS),
                        Range.atLeast(-1), Importance.MEDIUM, TopicConfig.RETENTION_MS_DOC)
                .define(TopicConfig.SEGMENT_BYTES_CONFIG, Type.INT, 1073741824, Range.atLeast(1048576),
                        Importance.LOW, "Accepted for compatibility; Weir's segments are not rolled files.")
                .define(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, Type.INT, 10485760, Range.atLeast(4),
                        Importance.LOW, "Accepted for compatibility.")
                .define(TopicConfig.SEGMENT_JITTER_MS_CONFIG, Type.LONG, 0L, Range.atLeast(0),
                        Importance.LOW, "Accepted for compatibility.")
                .define(TopicConfig.SEGMENT_MS_CONFIG, Type.LONG, 604800000L, Range.atLeast(1),
                        Importance.LOW, "Accepted for compatibility.")
                .define(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, Type.BOOLEAN, false,
                        Importance.LOW, "Accepted for compatibility; Weir has one replica.")
                .define("compression.gzip.level", Type.INT, -1, Range.between(-1, 9), Importance.LOW,
                        "Accepted for compatibility; Weir stores batches as the producer compressed them.")
                .define("compression.lz4.level", Type.INT, 9, Range.between(1, 17), Importance.LOW,
                        "Accepted for compatibility; Weir stores batches as the producer compressed them.")
                .define("compression.zstd.level", Type.INT, 3, Range.between(-131072, 22), Importance.LOW,
                        "Accepted for compatibility; Weir stores batches as the producer compressed them.")
                .define("errors.deadletterqueue.group.enable", Type.BOOLEAN, false, Importance.LOW,
                        "Accepted for compatibility; share groups are not supported.")
                .define("leader.replication.throttled.replicas", Type.LIST, "", Importance.LOW,
                        "Accepted for compatibility; Weir has one replica.")
                .define("follower.replication.throttled.replicas", Type.LIST, "", Importance.LOW,
                        "Accepted for compatibility; Weir has one replica.")
                .define("local.retention.bytes", Type.LONG, -2L, Range.atLeast(-2), Importance.LOW,
                        "Accepted for compatibility; Weir has no tiered storage.")
                .define("local.retention.ms", Type.LONG, -2L, Range.atLeast(-2), Importance.LOW,
                        "Accepted for compatibility; Weir has no tiered storage.")
                .define("max.decompressed.message.bytes", Type.INT, 2147483639, Range.atLeast(0), Importance.LOW,
                        "Accepted for compatibility; Weir does not decompress batches except to validate keys "
                                + "and timestamps.")
                .define("remote.copy.lag.bytes", Type.LONG, -1L, Range.atLeast(-1), Importance.LOW,
                        "Accepted for compatibility; Weir has no tiered storage.")
                .define("remote.copy.lag.ms", Type.LONG, 0L, Range.atLeast(0), Importance.LOW,
                        "Accepted for compatibility; Weir has no tiered storage.")
                .define("remote.log.copy.disable", Type.BOOLEAN, false, Importance.LOW,
                        "Accepted for compatibility; Weir has no tiered storage.")
                .define("remote.log.delete.on.disable", Type.BOOLEAN, false, Importance.LOW,
                        "Accepted for compatibility; Weir has no tiered storage.")
                .define("remote.storage.enable", Type.BOOLEAN, false, NO_TIERED_STORAGE, Importance.LOW,
                        "Weir has no tiered storage; only false is accepted.");
        brokerSynonyms.put(TopicConfig.CLEANUP_POLICY_CONFIG, GatewayConfig.LOG_CLEANUP_POLICY);
        brokerSynonyms.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, GatewayConfig.MESSAGE_MAX_BYTES);
        brokerSynonyms.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, GatewayConfig.LOG_MESSAGE_TIMESTAMP_TYPE);
        brokerSynonyms.put(TopicConfig.RETENTION_BYTES_CONFIG, GatewayConfig.LOG_RETENTION_BYTES);
        brokerSynonyms.put(TopicConfig.RETENTION_MS_CONFIG, GatewayConfig.LOG_RETENTION_MS);
        defaults.putAll(definition.defaultValues());
    }

    /** Parses and checks overrides; throws {@link ConfigException} naming the first bad key. */
    public Map<String, Object> validate(Map<String, String> overrides) {
        for (String key : overrides.keySet()) {
            if (!definition.names().contains(key)) {
                throw new ConfigException("Unknown topic config name: " + key);
            }
        }
        return definition.parse(overrides);
    }

    /**
     * The effective, typed value of every topic config for a topic. Parsed once per distinct set of
     * overrides (most topics share the empty one), not on every produce.
     */
    public Effective effective(TopicMeta topic) {
        return effective.computeIfAbsent(topic.configOverrides(), o -> new Effective(definition.parse(o)));
    }

    /** One config entry as DescribeConfigs reports it. */
    public record Described(String name, String value, Source source, Type type, String documentation,
                            List<Synonym> synonyms) {
    }

    public record Synonym(String name, String value, Source source) {
    }

    public enum Source { DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG }

    public List<Described> describe(TopicMeta topic) {
        List<Described> out = new ArrayList<>();
        for (ConfigDef.ConfigKey key : definition.configKeys().values()) {
            String override = topic.configOverrides().get(key.name);
            String brokerKey = brokerSynonyms.get(key.name);
            List<Synonym> synonyms = new ArrayList<>();
            String defaultValue = format(key.type, defaults.get(key.name));
            Source defaultSource = brokerKey != null && brokerKeysSetExplicitly.contains(brokerKey)
                    ? Source.STATIC_BROKER_CONFIG : Source.DEFAULT_CONFIG;
            if (override != null) {
                synonyms.add(new Synonym(key.name, override, Source.DYNAMIC_TOPIC_CONFIG));
            }
            if (brokerKey != null) {
                synonyms.add(new Synonym(brokerKey, defaultValue, defaultSource));
            }
            if (override != null) {
                out.add(new Described(key.name, format(key.type, ConfigDef.parseType(key.name, override, key.type)),
                        Source.DYNAMIC_TOPIC_CONFIG, key.type, key.documentation, synonyms));
            } else {
                out.add(new Described(key.name, defaultValue, defaultSource, key.type, key.documentation, synonyms));
            }
        }
        return out;
    }

    public Set<String> names() {
        return definition.names();
    }

    static String format(Type type, Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof List<?> list) {
            return String.join(",", list.stream().map(String::valueOf).toList());
        }
        return String.valueOf(value);
    }

    /** Typed view of a topic's effective configuration, for the produce and retention paths. */
    public static final class Effective {
        private final Map<String, Object> values;

        Effective(Map<String, Object> values) {
            this.values = values;
        }

        public int maxMessageBytes() {
            return (Integer) values.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        }

        public int minInsyncReplicas() {
            return (Integer) values.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        }

        public boolean logAppendTime() {
            return "LogAppendTime".equals(values.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG));
        }

        public long timestampAfterMaxMs() {
            return (Long) values.get(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG);
        }

        public long timestampBeforeMaxMs() {
            return (Long) values.get(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG);
        }

        public boolean compacted() {
            return ((List<?>) values.get(TopicConfig.CLEANUP_POLICY_CONFIG)).contains(TopicConfig.CLEANUP_POLICY_COMPACT);
        }

        public boolean deletes() {
            return ((List<?>) values.get(TopicConfig.CLEANUP_POLICY_CONFIG)).contains(TopicConfig.CLEANUP_POLICY_DELETE);
        }

        public long retentionMs() {
            return (Long) values.get(TopicConfig.RETENTION_MS_CONFIG);
        }

        public long retentionBytes() {
            return (Long) values.get(TopicConfig.RETENTION_BYTES_CONFIG);
        }

        public long deleteRetentionMs() {
            return (Long) values.get(TopicConfig.DELETE_RETENTION_MS_CONFIG);
        }

        public long minCompactionLagMs() {
            return (Long) values.get(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG);
        }

        public long maxCompactionLagMs() {
            return (Long) values.get(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG);
        }

        public double minCleanableDirtyRatio() {
            return (Double) values.get(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG);
        }
    }
}
