package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Group configs (the GROUP config resource, KIP-848/KIP-932): set, validated, described and
 * deleted through the Admin client and kafka-configs, as Apache Kafka 4.4 does; they need no group.
 */
class GroupConfigTest {
    private static final String CONFIG_COMMAND = "org.apache.kafka.tools.ConfigCommand";
    /** Kafka 4.4's GroupConfig keys that DescribeConfigs shows (its internal ones it does not). */
    private static final List<String> KEYS = List.of("consumer.session.timeout.ms", "consumer.heartbeat.interval.ms",
            "consumer.assignment.interval.ms", "share.session.timeout.ms",
            "share.heartbeat.interval.ms", "share.record.lock.duration.ms", "share.delivery.count.limit",
            "share.partition.max.record.locks", "share.auto.offset.reset", "share.isolation.level",
            "share.renew.acknowledge.enable", "share.assignment.interval.ms",
            "streams.session.timeout.ms", "streams.heartbeat.interval.ms", "streams.num.standby.replicas",
            "streams.initial.rebalance.delay.ms", "streams.assignment.interval.ms", "streams.rack.aware.assignment.tags", "streams.assignor.name", "errors.deadletterqueue.topic.name",
            "errors.deadletterqueue.copy.record.enable");

    @RegisterExtension
    static final Brokers brokers = Brokers.dedicated("groupconfigs", Map.of());

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aGroupConfigIsSetDescribedAndDeletedBeforeTheGroupExists(Target target) {
        Broker broker = brokers.on(target);
        ConfigResource group = group("set-describe");
        try (Admin admin = Clients.admin(broker)) {
            Config fresh = describe(admin, group);
            assertEquals(new TreeSet<>(KEYS), names(fresh), "every group config key is described");
            assertEntry(fresh, "share.record.lock.duration.ms", "30000", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertEntry(fresh, "share.auto.offset.reset", "latest", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertEntry(fresh, "share.isolation.level", "read_uncommitted", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertEntry(fresh, "share.delivery.count.limit", "5", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertEntry(fresh, "consumer.session.timeout.ms", "45000", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            // Both brokers under test set group.consumer.heartbeat.interval.ms in their configuration.
            assertEntry(fresh, "consumer.heartbeat.interval.ms", String.valueOf(Brokers.CONSUMER_HEARTBEAT_INTERVAL_MS),
                    ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG);

            alter(admin, group, false, set("share.record.lock.duration.ms", "20000"),
                    set("share.auto.offset.reset", "by_duration:PT1H"), set("share.isolation.level", "read_committed"));
            Config altered = describe(admin, group);
            assertEntry(altered, "share.record.lock.duration.ms", "20000", ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
            assertEntry(altered, "share.auto.offset.reset", "by_duration:PT1H", ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
            assertEntry(altered, "share.isolation.level", "read_committed", ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
            assertEntry(altered, "share.session.timeout.ms", "45000", ConfigEntry.ConfigSource.DEFAULT_CONFIG);

            alter(admin, group, false, delete("share.record.lock.duration.ms"), delete("share.isolation.level"));
            Config deleted = describe(admin, group);
            assertEntry(deleted, "share.record.lock.duration.ms", "30000", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertEntry(deleted, "share.isolation.level", "read_uncommitted", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertEntry(deleted, "share.auto.offset.reset", "by_duration:PT1H", ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);

            alter(admin, group, true, set("share.delivery.count.limit", "3"));
            assertEntry(describe(admin, group), "share.delivery.count.limit", "5", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void badValuesAndUnknownKeysAreRefusedWithKafkasMessages(Target target) {
        Broker broker = brokers.on(target);
        ConfigResource group = group("invalid");
        List<String> wrong = new ArrayList<>();
        try (Admin admin = Clients.admin(broker)) {
            assertRefused(admin, group, set("share.record.lock.duration.ms", "500"),
                    "Invalid value 500 for configuration share.record.lock.duration.ms: Value must be at least 1000", wrong);
            assertRefused(admin, group, set("share.record.lock.duration.ms", "1000"),
                    "share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.", wrong);
            assertRefused(admin, group, set("share.record.lock.duration.ms", "70000"),
                    "share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.", wrong);
            assertRefused(admin, group, set("share.record.lock.duration.ms", "soon"),
                    "Invalid value soon for configuration share.record.lock.duration.ms: Not a number of type INT", wrong);
            assertRefused(admin, group, set("share.auto.offset.reset", "sometimes"),
                    "Invalid value sometimes for configuration share.auto.offset.reset: Invalid value `sometimes` for "
                            + "configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of "
                            + "the format 'by_duration:<PnDTnHnMn.nS>'.", wrong);
            assertRefused(admin, group, set("share.isolation.level", "dirty"),
                    "Invalid value dirty for configuration share.isolation.level: String must be one of: "
                            + "read_committed, read_uncommitted", wrong);
            assertRefused(admin, group, set("share.delivery.count.limit", "11"),
                    "share.delivery.count.limit must be in the range 2 to 10 inclusive.", wrong);
            assertRefused(admin, group, set("share.session.timeout.ms", "70000"),
                    "share.session.timeout.ms must be in the range 45000 to 60000 inclusive.", wrong);
            assertRefused(admin, group, set("share.heartbeat.interval.ms", "50000"),
                    "share.heartbeat.interval.ms must be in the range 5000 to 15000 inclusive.", wrong);
            assertRefused(admin, group, set("share.no.such.config", "1"), "Unknown group config name: share.no.such.config", wrong);
            Config after = describe(admin, group);
            for (ConfigEntry e : after.entries()) {
                assertFalse(e.source() == ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG, "nothing was set: " + e);
            }
            assertEquals(List.of(), wrong, "Kafka's messages");
        }
    }

    /** Weir only: a gateway restart keeps them (Kafka's own durability is not under test). */
    @Test
    void groupConfigsSurviveARestart() {
        Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir only");
        Broker broker = brokers.on(Target.WEIR);
        ConfigResource group = group("restart");
        try (Admin admin = Clients.admin(broker)) {
            alter(admin, group, false, set("share.record.lock.duration.ms", "25000"), set("share.delivery.count.limit", "3"));
            alter(admin, group, false, delete("share.delivery.count.limit"));
        }
        broker.stop();
        broker.restart();
        try (Admin admin = Clients.admin(broker)) {
            Config after = describe(admin, group);
            assertEntry(after, "share.record.lock.duration.ms", "25000", ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
            assertEntry(after, "share.delivery.count.limit", "5", ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaConfigsAltersAndDescribesGroupConfigs(Target target) {
        Broker broker = brokers.on(target);
        String name = group("cli").name();
        List<String> entity = List.of("--entity-type", "groups", "--entity-name", name);

        ProcessResult altered = configs(broker, entity, "--alter", "--add-config",
                "share.record.lock.duration.ms=25000,share.auto.offset.reset=earliest");
        assertTrue(altered.stdout().contains("Completed updating config for group " + name + "."),
                altered.describe("no confirmation"));

        String dynamic = configs(broker, entity, "--describe").stdout();
        assertTrue(dynamic.contains("share.record.lock.duration.ms=25000"), dynamic);
        assertTrue(dynamic.contains("share.auto.offset.reset=earliest"), dynamic);

        configs(broker, entity, "--alter", "--delete-config", "share.auto.offset.reset");
        String afterDelete = configs(broker, entity, "--describe").stdout();
        assertFalse(afterDelete.contains("share.auto.offset.reset="), afterDelete);
        assertTrue(afterDelete.contains("share.record.lock.duration.ms=25000"), afterDelete);

        String all = configs(broker, entity, "--describe", "--all").stdout();
        assertTrue(all.contains("share.isolation.level=read_uncommitted"), "defaults are described with --all: " + all);
        assertTrue(all.contains("share.auto.offset.reset=latest"), "back to its default: " + all);

        List<String> bad = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        bad.addAll(entity);
        bad.addAll(List.of("--alter", "--add-config", "share.record.lock.duration.ms=10"));
        ProcessResult refused = ToolRunner.run(CONFIG_COMMAND, bad);
        assertTrue(refused.exitCode() != 0, refused.describe("a bad value must fail the command"));
        assertTrue((refused.stdout() + refused.stderr()).contains("Value must be at least 1000"),
                refused.describe("Kafka's message"));
    }

    // ---------------------------------------------------------------- helpers

    private static ConfigResource group(String prefix) {
        return new ConfigResource(ConfigResource.Type.GROUP, Clients.uniqueTopic("groupconfig-" + prefix));
    }

    private static AlterConfigOp set(String key, String value) {
        return new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
    }

    private static AlterConfigOp delete(String key) {
        return new AlterConfigOp(new ConfigEntry(key, ""), AlterConfigOp.OpType.DELETE);
    }

    private static void alter(Admin admin, ConfigResource group, boolean validateOnly, AlterConfigOp... ops) {
        Map<ConfigResource, Collection<AlterConfigOp>> change = Map.of(group, List.of(ops));
        Clients.get(admin.incrementalAlterConfigs(change, new AlterConfigsOptions().validateOnly(validateOnly)).all());
    }

    private static void assertRefused(Admin admin, ConfigResource group, AlterConfigOp op, String message,
                                      List<String> wrongMessages) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> alter(admin, group, false, op), op.configEntry() + " is refused");
        if (!message.equals(e.getMessage())) {
            wrongMessages.add(op.configEntry().name() + "=" + op.configEntry().value() + ": expected <" + message
                    + "> but was <" + e.getMessage() + ">");
        }
        assertThrows(InvalidConfigurationException.class, () -> alter(admin, group, true, op),
                op.configEntry() + " is refused by validateOnly too");
    }

    private static Config describe(Admin admin, ConfigResource group) {
        return Clients.get(admin.describeConfigs(List.of(group)).all()).get(group);
    }

    private static TreeSet<String> names(Config config) {
        TreeSet<String> out = new TreeSet<>();
        config.entries().forEach(e -> out.add(e.name()));
        return out;
    }

    private static void assertEntry(Config config, String name, String value, ConfigEntry.ConfigSource source) {
        ConfigEntry e = config.get(name);
        assertEquals(value, e == null ? null : e.value(), name + " in " + config);
        assertEquals(source, e.source(), name + "'s source");
    }

    private static ProcessResult configs(Broker broker, List<String> entity, String... args) {
        List<String> all = new ArrayList<>(entity);
        all.addAll(List.of(args));
        return ToolRunner.succeedAgainst(broker, CONFIG_COMMAND, all.toArray(String[]::new));
    }
}
