package dev.weir.gateway.group;

import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.state.RecordLog;
import dev.weir.gateway.state.RecordStrings;
import dev.weir.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;

/**
 * Per-group configuration overrides (Kafka's GROUP config resource, KIP-848/KIP-932), with Kafka
 * 4.4's keys, types, defaults and validation. Durable as a log of records: each record is the whole
 * override map of one group after a change (empty when its overrides are gone), replayed at start.
 * A key a group does not override takes the broker's value of its synonym, {@code group.} + key.
 */
public final class GroupConfigs {
    static final String SEGMENT = "__weir_group_configs";
    private static final long COMPACT_AFTER_RECORDS = 10_000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupConfigs.class);

    /**
     * Kafka 4.4's GroupConfig keys, in its order, with its group-level types, defaults and validators;
     * the internal ones can be set but DescribeConfigs does not show them.
     */
    static final ConfigDef DEFINITION = new ConfigDef()
            .define("consumer.session.timeout.ms", Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "The timeout to detect client failures when using the consumer group protocol.")
            .define("consumer.heartbeat.interval.ms", Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "The heartbeat interval given to the members of a consumer group.")
            .define("consumer.assignment.interval.ms", Type.INT, 1000, Range.atLeast(0), Importance.MEDIUM,
                    "The interval between assignment updates for a consumer group.")
            .defineInternal("consumer.assignor.offload.enable", Type.BOOLEAN, true, null, Importance.MEDIUM,
                    "Whether to offload consumer group assignment to a background thread.")
            .define("share.session.timeout.ms", Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "The timeout to detect client failures when using the share group protocol.")
            .define("share.heartbeat.interval.ms", Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "The heartbeat interval given to the members of a share group.")
            .define("share.record.lock.duration.ms", Type.INT, 30000, Range.atLeast(1000), Importance.MEDIUM,
                    "The record acquisition lock duration in milliseconds for share groups.")
            .define("share.delivery.count.limit", Type.INT, 5, Range.atLeast(2), Importance.MEDIUM,
                    "The maximum number of delivery attempts for a record delivered to a share group.")
            .define("share.partition.max.record.locks", Type.INT, 2000, Range.atLeast(100), Importance.MEDIUM,
                    "Share-group record lock limit per share-partition.")
            .define("share.auto.offset.reset", Type.STRING, "latest", new AutoOffsetReset(), Importance.MEDIUM,
                    "The strategy to initialize the share-partition start offset: earliest, latest or "
                            + "by_duration:<ISO8601 duration>.")
            .define("share.isolation.level", Type.STRING, "read_uncommitted",
                    ConfigDef.ValidString.in("read_committed", "read_uncommitted"), Importance.MEDIUM,
                    "Controls how to read records written transactionally.")
            .define("share.renew.acknowledge.enable", Type.BOOLEAN, true, Importance.MEDIUM,
                    "Whether the renew acknowledge type is enabled for the share group.")
            .define("share.assignment.interval.ms", Type.INT, 1000, Range.atLeast(0), Importance.MEDIUM,
                    "The interval between assignment updates for a share group.")
            .defineInternal("share.assignor.offload.enable", Type.BOOLEAN, true, null, Importance.MEDIUM,
                    "Whether to offload share group assignment to a background thread.")
            .define("streams.session.timeout.ms", Type.INT, 45000, Range.atLeast(1), Importance.MEDIUM,
                    "The timeout to detect client failures when using the streams group protocol.")
            .define("streams.heartbeat.interval.ms", Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                    "The heartbeat interval given to the members of a streams group.")
            .define("streams.num.standby.replicas", Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "The number of standby replicas for each task.")
            .define("streams.initial.rebalance.delay.ms", Type.INT, 3000, Range.atLeast(0), Importance.MEDIUM,
                    "The amount of time the group coordinator waits before the first rebalance of a streams group.")
            .define("streams.assignment.interval.ms", Type.INT, 1000, Range.atLeast(0), Importance.MEDIUM,
                    "The interval between assignment updates for a streams group.")
            .defineInternal("streams.assignor.offload.enable", Type.BOOLEAN, true, null, Importance.MEDIUM,
                    "Whether to offload streams group assignment to a background thread.")
            .defineInternal("streams.task.offset.interval.ms", Type.INT, 60000, Range.atLeast(1), Importance.MEDIUM,
                    "The interval at which streams members report their task offsets.")
            .defineInternal("streams.num.warmup.replicas", Type.INT, 2, Range.atLeast(0), Importance.MEDIUM,
                    "The number of warmup replicas for a streams group.")
            .define("streams.rack.aware.assignment.tags", Type.LIST, "", Importance.MEDIUM,
                    "The client tags used for rack-aware assignment in a streams group.")
            .defineInternal("streams.acceptable.recovery.lag", Type.LONG, 10000L, Range.atLeast(0), Importance.MEDIUM,
                    "The maximum lag of a caught-up task for a streams group.")
            .define("streams.assignor.name", Type.STRING, null, Importance.MEDIUM,
                    "The name of the streams assignor the group uses; one of group.streams.assignors.")
            .define("errors.deadletterqueue.topic.name", Type.STRING, "", Importance.MEDIUM,
                    "The dead-letter queue topic of a share group; empty for none.")
            .define("errors.deadletterqueue.copy.record.enable", Type.BOOLEAN, false, Importance.MEDIUM,
                    "Whether records written to the dead-letter queue carry a copy of the record.");

    /** Kafka's broker-level synonyms that are not simply {@code group.} + key, and the keys without one. */
    private static final Map<String, String> SYNONYM_EXCEPTIONS = Map.of(
            "streams.assignor.name", "group.streams.assignors",
            "share.auto.offset.reset", "", "share.isolation.level", "",
            "share.renew.acknowledge.enable", "", "errors.deadletterqueue.topic.name", "",
            "errors.deadletterqueue.copy.record.enable", "");

    /**
     * Kafka's broker defaults of synonyms Weir has no key for (it runs no streams groups and
     * assigns at once): shown as DEFAULT_CONFIG and used as defaults and bounds, as Kafka would.
     */
    private static final Map<String, String> KAFKA_BROKER_DEFAULTS = Map.ofEntries(
            Map.entry("group.consumer.assignment.interval.ms", "1000"),
            Map.entry("group.consumer.min.assignment.interval.ms", "0"),
            Map.entry("group.consumer.max.assignment.interval.ms", "15000"),
            Map.entry("group.consumer.assignor.offload.enable", "true"),
            Map.entry("group.share.assignment.interval.ms", "1000"),
            Map.entry("group.share.min.assignment.interval.ms", "0"),
            Map.entry("group.share.max.assignment.interval.ms", "15000"),
            Map.entry("group.share.assignor.offload.enable", "true"),
            Map.entry("group.streams.session.timeout.ms", "45000"),
            Map.entry("group.streams.min.session.timeout.ms", "45000"),
            Map.entry("group.streams.max.session.timeout.ms", "60000"),
            Map.entry("group.streams.heartbeat.interval.ms", "5000"),
            Map.entry("group.streams.min.heartbeat.interval.ms", "5000"),
            Map.entry("group.streams.max.heartbeat.interval.ms", "15000"),
            Map.entry("group.streams.num.standby.replicas", "0"),
            Map.entry("group.streams.max.standby.replicas", "2"),
            Map.entry("group.streams.initial.rebalance.delay.ms", "3000"),
            Map.entry("group.streams.assignment.interval.ms", "1000"),
            Map.entry("group.streams.min.assignment.interval.ms", "0"),
            Map.entry("group.streams.max.assignment.interval.ms", "15000"),
            Map.entry("group.streams.assignor.offload.enable", "true"),
            Map.entry("group.streams.task.offset.interval.ms", "60000"),
            Map.entry("group.streams.min.task.offset.interval.ms", "15000"),
            Map.entry("group.streams.num.warmup.replicas", "2"),
            Map.entry("group.streams.max.warmup.replicas", "20"),
            Map.entry("group.streams.rack.aware.assignment.tags", ""),
            Map.entry("group.streams.acceptable.recovery.lag", "10000"),
            Map.entry("group.streams.assignors", "sticky"));

    /** An int key's broker bounds (Kafka's names; an empty name: no bound on that side). */
    private record Bounds(String key, String min, String max) {
    }

    /** The bounds Kafka checks a group's value against, in the order it checks them. */
    private static final List<Bounds> BOUNDS = List.of(
            new Bounds("consumer.heartbeat.interval.ms", "group.consumer.min.heartbeat.interval.ms",
                    "group.consumer.max.heartbeat.interval.ms"),
            new Bounds("consumer.session.timeout.ms", "group.consumer.min.session.timeout.ms",
                    "group.consumer.max.session.timeout.ms"),
            new Bounds("consumer.assignment.interval.ms", "group.consumer.min.assignment.interval.ms",
                    "group.consumer.max.assignment.interval.ms"),
            new Bounds("share.heartbeat.interval.ms", "group.share.min.heartbeat.interval.ms",
                    "group.share.max.heartbeat.interval.ms"),
            new Bounds("share.session.timeout.ms", "group.share.min.session.timeout.ms",
                    "group.share.max.session.timeout.ms"),
            new Bounds("share.record.lock.duration.ms", "group.share.min.record.lock.duration.ms",
                    "group.share.max.record.lock.duration.ms"),
            new Bounds("share.delivery.count.limit", "group.share.min.delivery.count.limit",
                    "group.share.max.delivery.count.limit"),
            new Bounds("share.partition.max.record.locks", "group.share.min.partition.max.record.locks",
                    "group.share.max.partition.max.record.locks"),
            new Bounds("share.assignment.interval.ms", "group.share.min.assignment.interval.ms",
                    "group.share.max.assignment.interval.ms"),
            new Bounds("streams.heartbeat.interval.ms", "group.streams.min.heartbeat.interval.ms",
                    "group.streams.max.heartbeat.interval.ms"),
            new Bounds("streams.session.timeout.ms", "group.streams.min.session.timeout.ms",
                    "group.streams.max.session.timeout.ms"),
            new Bounds("streams.num.standby.replicas", "", "group.streams.max.standby.replicas"),
            new Bounds("streams.assignment.interval.ms", "group.streams.min.assignment.interval.ms",
                    "group.streams.max.assignment.interval.ms"),
            new Bounds("streams.task.offset.interval.ms", "group.streams.min.task.offset.interval.ms", ""),
            new Bounds("streams.num.warmup.replicas", "", "group.streams.max.warmup.replicas"));

    /** Where a described value comes from, as DescribeConfigs reports it. */
    public enum Source { GROUP_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG }

    public record Synonym(String name, String value, Source source) {
    }

    /** One key of a group as DescribeConfigs shows it: its effective value, source and synonyms. */
    public record Described(String name, String value, Type type, Source source, String documentation,
                            List<Synonym> synonyms) {
    }

    private final GatewayConfig config;
    private final Map<String, Map<String, String>> overrides = new ConcurrentHashMap<>();
    private RecordLog records;

    private GroupConfigs(GatewayConfig config) {
        this.config = config;
    }

    public static GroupConfigs open(SegmentStore store, GatewayConfig config) {
        GroupConfigs configs = new GroupConfigs(config);
        configs.records = RecordLog.open(store, SEGMENT, configs::replay);
        if (configs.records.replayed() > COMPACT_AFTER_RECORDS + 2L * configs.overrides.size()) {
            List<ByteBuffer> live = new ArrayList<>();
            configs.overrides.forEach((group, map) -> live.add(encode(group, map)));
            configs.records.rewrite(live);
            LOG.info("Compacted the group config log from {} to {} records", configs.records.replayed(), live.size());
        }
        return configs;
    }

    /** Every group config key, in Kafka's order. */
    public static List<String> names() {
        return List.copyOf(DEFINITION.configKeys().keySet());
    }

    /**
     * The group's value of {@code key}: its override, else the broker default of the key's synonym.
     * An override outside the broker's current bounds counts as the nearest bound (Kafka caps it).
     */
    public String value(String groupId, String key) {
        if (!DEFINITION.configKeys().containsKey(key)) {
            throw new IllegalArgumentException("Unknown group config name: " + key);
        }
        String own = overrides(groupId).get(key);
        if (own == null) {
            return brokerDefault(key);
        }
        for (Bounds b : BOUNDS) {
            if (b.key().equals(key)) {
                int v = Integer.parseInt(own.trim());
                if (!b.min().isEmpty() && v < brokerInt(b.min())) {
                    return String.valueOf(brokerInt(b.min()));
                }
                if (!b.max().isEmpty() && v > brokerInt(b.max())) {
                    return String.valueOf(brokerInt(b.max()));
                }
                return String.valueOf(v);
            }
        }
        return own;
    }

    public int intValue(String groupId, String key) {
        return Integer.parseInt(value(groupId, key).trim());
    }

    /** The group's own settings (keys it overrides), empty when it has none. */
    public Map<String, String> overrides(String groupId) {
        Map<String, String> own = overrides.get(groupId);
        return own == null ? Map.of() : own;
    }

    /** Drops the group's overrides (the group was deleted; Kafka drops its configs too). */
    public synchronized CompletableFuture<Void> delete(String groupId) {
        if (overrides.remove(groupId) == null) {
            return CompletableFuture.completedFuture(null);
        }
        return records.append(encode(groupId, Map.of()));
    }

    /**
     * Changes the group's overrides: {@code change} gets a copy of the current ones and returns the
     * new ones, which are validated as Kafka does (names, values, the broker's bounds) and, unless
     * {@code validateOnly}, stored. Fails with InvalidConfigurationException or InvalidRequestException.
     */
    public synchronized CompletableFuture<Void> alter(String groupId, UnaryOperator<Map<String, String>> change,
                                                      boolean validateOnly) {
        Map<String, String> next;
        try {
            if (groupId == null || groupId.isEmpty()) {
                throw new InvalidRequestException("Default group resources are not allowed.");
            }
            next = change.apply(new TreeMap<>(overrides(groupId)));
            validate(next);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (validateOnly) {
            return CompletableFuture.completedFuture(null);
        }
        Map<String, String> stored = Map.copyOf(next);
        if (stored.isEmpty()) {
            overrides.remove(groupId);
        } else {
            overrides.put(groupId, stored);
        }
        return records.append(encode(groupId, stored));
    }

    /** Every key of the group with its effective value, as Kafka's DescribeConfigs answers for a GROUP. */
    public List<Described> describe(String groupId) {
        Map<String, String> own = overrides(groupId);
        List<Described> out = new ArrayList<>();
        for (ConfigDef.ConfigKey key : DEFINITION.configKeys().values()) {
            if (key.internalConfig) {
                continue;
            }
            List<Synonym> synonyms = new ArrayList<>();
            String ownValue = own.get(key.name);
            if (ownValue != null) {
                synonyms.add(new Synonym(key.name, ownValue, Source.GROUP_CONFIG));
            }
            String broker = synonym(key.name);
            if (broker.isEmpty()) {
                if (key.defaultValue != null) {
                    synonyms.add(new Synonym(key.name, ConfigDef.convertToString(key.defaultValue, key.type),
                            Source.DEFAULT_CONFIG));
                }
            } else {
                if (config.originals().containsKey(broker)) {
                    synonyms.add(new Synonym(broker, brokerValue(broker), Source.STATIC_BROKER_CONFIG));
                }
                String def = brokerDefaultValue(broker);
                if (def != null) {
                    synonyms.add(new Synonym(broker, def, Source.DEFAULT_CONFIG));
                }
            }
            Source source = synonyms.isEmpty() ? Source.DEFAULT_CONFIG : synonyms.get(0).source();
            String value = ownValue != null ? ownValue : brokerDefault(key.name);
            out.add(new Described(key.name, value, key.type, source, key.documentation, synonyms));
        }
        return out;
    }

    // ---------------------------------------------------------------- validation, as Kafka's GroupConfig.validate

    void validate(Map<String, String> props) {
        for (Map.Entry<String, String> e : props.entrySet()) {
            if (!DEFINITION.configKeys().containsKey(e.getKey())) {
                throw new InvalidConfigurationException("Unknown group config name: " + e.getKey());
            }
            if (e.getValue() == null) {
                throw new InvalidRequestException("Null value not supported for group configs: " + e.getKey());
            }
        }
        Map<String, Object> combined = new HashMap<>();
        for (String key : DEFINITION.names()) {
            String def = brokerDefault(key);
            if (def != null) {
                combined.put(key, def);
            }
        }
        combined.putAll(props);
        Map<String, Object> parsed;
        try {
            parsed = DEFINITION.parse(combined);
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
        for (Bounds b : BOUNDS) {
            // Kafka checks the assignment intervals only when the group sets them.
            if (b.key().endsWith(".assignment.interval.ms") && !props.containsKey(b.key())) {
                continue;
            }
            int v = (Integer) parsed.get(b.key());
            boolean low = !b.min().isEmpty() && v < brokerInt(b.min());
            boolean high = !b.max().isEmpty() && v > brokerInt(b.max());
            if ((low || high) && !b.min().isEmpty() && !b.max().isEmpty()) {
                throw new InvalidConfigurationException(b.key() + " must be in the range " + brokerInt(b.min()) + " to "
                        + brokerInt(b.max()) + " inclusive.");
            }
            if (low) {
                throw new InvalidConfigurationException(b.key() + " must be greater than or equal to " + brokerInt(b.min()));
            }
            if (high) {
                throw new InvalidConfigurationException(b.key() + " must be less than or equal to " + brokerInt(b.max()));
            }
        }
        String assignor = (String) parsed.get("streams.assignor.name");
        if (props.containsKey("streams.assignor.name")
                && !List.of(brokerValue("group.streams.assignors").split(",")).contains(assignor)) {
            throw new InvalidConfigurationException("streams.assignor.name '" + assignor + "' is not a registered task "
                    + "assignor. Registered assignors are: " + List.of(brokerValue("group.streams.assignors").split(",")) + ".");
        }
        for (String protocol : List.of("consumer", "share", "streams")) {
            if ((Integer) parsed.get(protocol + ".session.timeout.ms")
                    <= (Integer) parsed.get(protocol + ".heartbeat.interval.ms")) {
                throw new InvalidConfigurationException(protocol + ".session.timeout.ms must be greater than "
                        + protocol + ".heartbeat.interval.ms");
            }
        }
        String dlq = (String) parsed.get("errors.deadletterqueue.topic.name");
        if (dlq != null && dlq.startsWith("__")) {
            throw new InvalidConfigurationException(
                    "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'");
        }
    }

    // ---------------------------------------------------------------- broker defaults

    private static String synonym(String key) {
        String special = SYNONYM_EXCEPTIONS.get(key);
        return special != null ? special : "group." + key;
    }

    /** The value a group has for {@code key} when it does not set it. */
    private String brokerDefault(String key) {
        String broker = synonym(key);
        if (broker.isEmpty()) {
            ConfigDef.ConfigKey k = DEFINITION.configKeys().get(key);
            return k.defaultValue == null ? null : ConfigDef.convertToString(k.defaultValue, k.type);
        }
        if (key.equals("streams.assignor.name")) {
            return null; // Kafka: no group-level value; the group uses the first broker assignor
        }
        return brokerValue(broker);
    }

    /** The broker's current value of a Kafka broker key: Weir's setting, or Kafka's default where Weir has none. */
    private String brokerValue(String broker) {
        if (GatewayConfig.DEFINITION.configKeys().containsKey(broker)) {
            ConfigDef.ConfigKey k = GatewayConfig.DEFINITION.configKeys().get(broker);
            return ConfigDef.convertToString(config.allValues().get(broker), k.type);
        }
        return KAFKA_BROKER_DEFAULTS.get(broker);
    }

    private static String brokerDefaultValue(String broker) {
        ConfigDef.ConfigKey k = GatewayConfig.DEFINITION.configKeys().get(broker);
        if (k != null) {
            return k.hasDefault() && k.defaultValue != null ? ConfigDef.convertToString(k.defaultValue, k.type) : null;
        }
        return KAFKA_BROKER_DEFAULTS.get(broker);
    }

    private int brokerInt(String broker) {
        return Integer.parseInt(brokerValue(broker));
    }

    // ---------------------------------------------------------------- records

    private static ByteBuffer encode(String groupId, Map<String, String> map) {
        List<byte[]> parts = new ArrayList<>();
        parts.add(RecordStrings.bytes(groupId));
        map.forEach((k, v) -> {
            parts.add(RecordStrings.bytes(k));
            parts.add(RecordStrings.bytes(v));
        });
        int size = 4;
        for (byte[] p : parts) {
            size += RecordStrings.size(p);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        RecordStrings.put(out, parts.get(0));
        out.putInt(map.size());
        for (int i = 1; i < parts.size(); i++) {
            RecordStrings.put(out, parts.get(i));
        }
        return out.flip();
    }

    private void replay(ByteBuffer record) {
        ByteBuffer in = record.duplicate();
        String groupId = RecordStrings.get(in);
        int n = in.getInt();
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(RecordStrings.get(in), RecordStrings.get(in));
        }
        if (map.isEmpty()) {
            overrides.remove(groupId);
        } else {
            overrides.put(groupId, Map.copyOf(map));
        }
    }

    /** Kafka's share.auto.offset.reset values: latest, earliest, by_duration:&lt;non-negative ISO-8601 duration&gt;. */
    private static final class AutoOffsetReset implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (!valid(value == null ? null : String.valueOf(value))) {
                throw new ConfigException(name, value, "Invalid value `" + value + "` for configuration " + name
                        + ". The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.");
            }
        }

        private static boolean valid(String v) {
            if (v == null) {
                return false;
            }
            String lower = v.trim().toLowerCase(java.util.Locale.ROOT);
            if (lower.equals("latest") || lower.equals("earliest")) {
                return true;
            }
            if (!lower.startsWith("by_duration:")) {
                return false;
            }
            try {
                return !Duration.parse(v.trim().substring("by_duration:".length()).trim()).isNegative();
            } catch (java.time.format.DateTimeParseException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            return "[latest, earliest, by_duration:PnDTnHnMn.nS]";
        }
    }

    static Optional<Type> type(String key) {
        return Optional.ofNullable(DEFINITION.configKeys().get(key)).map(k -> k.type);
    }
}
