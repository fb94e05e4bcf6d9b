package dev.weir.gateway.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoreOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A group's configs: its overrides over the broker's defaults, validated as Kafka does, replayed at start. */
class GroupConfigsTest {
    @TempDir
    Path dir;

    private SegmentStore openStore() {
        return LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 24, new MetricRegistry()));
    }

    private static GatewayConfig config(Map<String, String> settings) {
        return new GatewayConfig(settings);
    }

    private static Throwable cause(Runnable r) {
        CompletionException e = assertThrows(CompletionException.class, r::run);
        return e.getCause();
    }

    @Test
    void aGroupWithoutOverridesHasTheBrokersValuesAndOverridesSurviveARestart() {
        GatewayConfig config = config(Map.of("group.share.record.lock.duration.ms", "20000"));
        try (SegmentStore store = openStore()) {
            GroupConfigs configs = GroupConfigs.open(store, config);
            assertEquals(20000, configs.intValue("g", "share.record.lock.duration.ms"), "the broker's setting");
            assertEquals("latest", configs.value("g", "share.auto.offset.reset"), "Kafka's default, no broker synonym");
            assertEquals(5, configs.intValue("g", "share.delivery.count.limit"));
            configs.alter("g", m -> {
                m.put("share.record.lock.duration.ms", "40000");
                m.put("share.auto.offset.reset", "by_duration:PT5M");
                return m;
            }, false).join();
            configs.alter("h", m -> {
                m.put("share.delivery.count.limit", "3");
                return m;
            }, false).join();
            configs.delete("h").join();
        }
        try (SegmentStore store = openStore()) {
            GroupConfigs configs = GroupConfigs.open(store, config);
            assertEquals(40000, configs.intValue("g", "share.record.lock.duration.ms"));
            assertEquals("by_duration:PT5M", configs.value("g", "share.auto.offset.reset"));
            assertEquals(Map.of(), configs.overrides("h"), "a deleted group's configs are gone");
            assertEquals(5, configs.intValue("h", "share.delivery.count.limit"));
        }
    }

    @Test
    void valuesOutsideKafkasTypesRangesAndBrokerBoundsAreRefused() {
        try (SegmentStore store = openStore()) {
            GroupConfigs configs = GroupConfigs.open(store, config(Map.of()));
            assertTrue(cause(() -> configs.alter("g", m -> Map.of("share.record.lock.duration.ms", "999"), false).join())
                    .getMessage().contains("Value must be at least 1000"));
            assertEquals("share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.",
                    cause(() -> configs.alter("g", m -> Map.of("share.record.lock.duration.ms", "2000"), false).join())
                            .getMessage());
            assertEquals("Unknown group config name: nope",
                    cause(() -> configs.alter("g", m -> Map.of("nope", "1"), false).join()).getMessage());
            assertTrue(cause(() -> configs.alter("g", m -> Map.of("share.auto.offset.reset", "by_duration:-PT1S"),
                    false).join()) instanceof InvalidConfigurationException, "negative durations are refused");
            assertTrue(cause(() -> configs.alter("", m -> m, false).join()) instanceof InvalidRequestException);
            configs.alter("g", m -> Map.of("share.delivery.count.limit", "4"), true).join();
            assertEquals(Map.of(), configs.overrides("g"), "validateOnly stores nothing");
        }
    }

    @Test
    void anOverrideOutsideTheBrokersCurrentBoundsCountsAsTheNearestBound() {
        try (SegmentStore store = openStore()) {
            GroupConfigs.open(store, config(Map.of())).alter("g", m -> Map.of("share.record.lock.duration.ms", "50000"),
                    false).join();
        }
        try (SegmentStore store = openStore()) {
            GroupConfigs configs = GroupConfigs.open(store, config(Map.of("group.share.max.record.lock.duration.ms", "40000",
                    "group.share.record.lock.duration.ms", "30000")));
            assertEquals(40000, configs.intValue("g", "share.record.lock.duration.ms"));
            assertEquals("50000", configs.overrides("g").get("share.record.lock.duration.ms"), "stored as set");
        }
    }
}
