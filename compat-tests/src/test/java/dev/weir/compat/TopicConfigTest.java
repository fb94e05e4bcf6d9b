package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConfigEntry.ConfigSource;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Topic and broker configs describe with values, defaults and sources, and alter as Kafka's do. */
class TopicConfigTest {
    private static final String KAFKA_DEFAULT_MAX_MESSAGE_BYTES = "1048588";
    private static final String KAFKA_DEFAULT_RETENTION_MS = "604800000";

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void topicConfigsDescribeWithTheirValuesSourcesAndDefaults(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("config-describe");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("retention.ms", "3600000")));

        try (Admin admin = Clients.admin(broker)) {
            Config config = describe(admin, topicResource(topic));
            assertEntry(config, "retention.ms", "3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG, false);
            assertEntry(config, "cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG, true);
            assertEntry(config, "max.message.bytes", KAFKA_DEFAULT_MAX_MESSAGE_BYTES, ConfigSource.DEFAULT_CONFIG, true);
            assertEntry(config, "message.timestamp.type", "CreateTime", ConfigSource.DEFAULT_CONFIG, true);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void incrementalAlterConfigsSetsAppendsAndDeletesTopicConfigs(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("config-alter");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        ConfigResource resource = topicResource(topic);

        try (Admin admin = Clients.admin(broker)) {
            alter(admin, resource,
                    new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND));
            Config altered = describeOnce(admin, resource, "retention.ms", "7200000");
            assertEntry(altered, "retention.ms", "7200000", ConfigSource.DYNAMIC_TOPIC_CONFIG, false);
            assertEntry(altered, "max.message.bytes", "2000000", ConfigSource.DYNAMIC_TOPIC_CONFIG, false);
            assertEntry(altered, "cleanup.policy", "delete,compact", ConfigSource.DYNAMIC_TOPIC_CONFIG, false);

            alter(admin, resource, new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE));
            Config deleted = describeOnce(admin, resource, "retention.ms", KAFKA_DEFAULT_RETENTION_MS);
            assertEntry(deleted, "retention.ms", KAFKA_DEFAULT_RETENTION_MS, ConfigSource.DEFAULT_CONFIG, true);
            assertEntry(deleted, "max.message.bytes", "2000000", ConfigSource.DYNAMIC_TOPIC_CONFIG, false);
        }
    }

    /**
     * The description once it shows {@code name=value}: Kafka applies an alter through its controller
     * and the broker's answer may lag for a moment (Weir's does not); the assertions follow.
     */
    private static Config describeOnce(Admin admin, ConfigResource resource, String name, String value) {
        return Await.value(java.time.Duration.ofSeconds(30), name + "=" + value + " is described", () -> {
            Config c = describe(admin, resource);
            return c.get(name) != null && value.equals(c.get(name).value()) ? java.util.Optional.of(c) : java.util.Optional.empty();
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void unknownConfigKeysAndInvalidValuesAreRejectedAndChangeNothing(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("config-invalid");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("retention.ms", "3600000")));
        ConfigResource resource = topicResource(topic);

        try (Admin admin = Clients.admin(broker)) {
            assertThrows(InvalidConfigurationException.class, () -> alter(admin, resource,
                    new AlterConfigOp(new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)), "unknown key");
            assertThrows(InvalidConfigurationException.class, () -> alter(admin, resource,
                    new AlterConfigOp(new ConfigEntry("retention.ms", "forever"), AlterConfigOp.OpType.SET)), "value of the wrong type");
            assertThrows(InvalidConfigurationException.class, () -> alter(admin, resource,
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "shred"), AlterConfigOp.OpType.SET)), "value outside the allowed set");
            assertEntry(describe(admin, resource), "retention.ms", "3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG, false);

            String another = Clients.uniqueTopic("config-invalid-create");
            assertThrows(InvalidConfigurationException.class, () -> Clients.get(admin.createTopics(List.of(
                    Clients.topic(another, 1, Map.of("no.such.config", "1")))).all()), "unknown key at create");
            assertFalse(Clients.get(admin.listTopics().names()).contains(another), "topic with a rejected config is not created");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void brokerConfigsDescribeWithStaticAndDefaultSources(Target target) {
        Broker broker = brokers.on(target);
        try (Admin admin = Clients.admin(broker)) {
            Collection<Node> nodes = Clients.get(admin.describeCluster().nodes());
            assertEquals(1, nodes.size(), "a single node");
            String nodeId = nodes.iterator().next().idString();
            Config config = describe(admin, new ConfigResource(ConfigResource.Type.BROKER, nodeId));

            ConfigEntry listeners = config.get("listeners");
            assertNotNull(listeners, "listeners is described");
            assertEquals(ConfigSource.STATIC_BROKER_CONFIG, listeners.source(), "listeners came from the start-up configuration");
            assertTrue(listeners.value().contains(broker.bootstrapServers()), "listeners value " + listeners.value());

            assertEntry(config, "message.max.bytes", KAFKA_DEFAULT_MAX_MESSAGE_BYTES, ConfigSource.DEFAULT_CONFIG, true);
            assertEntry(config, "num.partitions", "1", ConfigSource.DEFAULT_CONFIG, true);
        }
    }

    static ConfigResource topicResource(String topic) {
        return new ConfigResource(ConfigResource.Type.TOPIC, topic);
    }

    static Config describe(Admin admin, ConfigResource resource) {
        return Clients.get(admin.describeConfigs(List.of(resource)).values().get(resource));
    }

    static void alter(Admin admin, ConfigResource resource, AlterConfigOp... ops) {
        Clients.get(admin.incrementalAlterConfigs(Map.of(resource, List.of(ops))).all());
    }

    /** Checks one described entry; a null {@code value} means "whatever value, but present". */
    static void assertEntry(Config config, String name, String value, ConfigSource source, boolean isDefault) {
        ConfigEntry entry = config.get(name);
        assertNotNull(entry, name + " is described");
        if (value != null) {
            assertEquals(value, entry.value(), name + " value");
        }
        assertEquals(source, entry.source(), name + " source");
        assertEquals(isDefault, entry.isDefault(), name + " isDefault");
    }
}
