package dev.weir.gateway.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoreOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which quota applies to a connection (Kafka's eight levels), replay from the store, and throttle times. */
class ClientQuotasTest {
    private static final String KEY = ClientQuotas.PRODUCER_BYTE_RATE;

    @TempDir
    Path dir;

    private SegmentStore open() {
        return LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 24, new MetricRegistry()));
    }

    @Test
    void theMostSpecificQuotaAppliesInKafkasOrderAndSurvivesReopening() {
        // Levels from least to most specific; each one set must win over all set before it.
        List<ClientQuotas.Entity> levels = List.of(
                ClientQuotas.Entity.client(null), ClientQuotas.Entity.client("app"),
                ClientQuotas.Entity.user(null), ClientQuotas.Entity.of(null, null), ClientQuotas.Entity.of(null, "app"),
                ClientQuotas.Entity.user("alice"), ClientQuotas.Entity.of("alice", null), ClientQuotas.Entity.of("alice", "app"));
        try (SegmentStore store = open()) {
            ClientQuotas quotas = ClientQuotas.open(store);
            assertNull(quotas.limit(KEY, "alice", "app"));
            for (int i = 0; i < levels.size(); i++) {
                quotas.set(levels.get(i), KEY, 100.0 + i).join();
                ClientQuotas.Match m = quotas.limit(KEY, "alice", "app");
                assertEquals(levels.get(i), m.entity(), "level " + i);
                assertEquals(100.0 + i, m.value());
            }
            assertEquals(ClientQuotas.Entity.of(null, "app"), quotas.limit(KEY, "bob", "app").entity());
            assertEquals(ClientQuotas.Entity.of(null, null), quotas.limit(KEY, "bob", "other").entity());
            assertNull(quotas.limit(ClientQuotas.CONSUMER_BYTE_RATE, "alice", "app"), "quotas are per key");
            quotas.set(ClientQuotas.Entity.of("alice", "app"), KEY, null).join();
            assertEquals(ClientQuotas.Entity.of("alice", null), quotas.limit(KEY, "alice", "app").entity());
        }
        try (SegmentStore store = open()) {
            ClientQuotas quotas = ClientQuotas.open(store);
            assertEquals(ClientQuotas.Entity.of("alice", null), quotas.limit(KEY, "alice", "app").entity(),
                    "replayed, removal included");
            assertEquals(7, quotas.describe(e -> true).size());
        }
    }

    @Test
    void aClientOverItsRateIsToldToWaitUntilItsAverageIsBackAtTheQuota() {
        try (SegmentStore store = open()) {
            ClientQuotas quotas = ClientQuotas.open(store);
            quotas.set(ClientQuotas.Entity.client("app"), KEY, 1000.0).join();
            try (ByteRateQuotas rates = new ByteRateQuotas(quotas, 11, 1)) {
                long now = 1_000_000;
                // The first 10 s of the window admit 10,000 bytes.
                assertEquals(0, rates.record(ByteRateQuotas.Kind.PRODUCE, "u", "app", 10_000, now));
                // 5,000 more: 15,000 over 10 s is 1,500/s, half again the quota: wait half the window.
                assertEquals(5000, rates.record(ByteRateQuotas.Kind.PRODUCE, "u", "app", 5_000, now));
                assertEquals(0, rates.record(ByteRateQuotas.Kind.PRODUCE, "u", "other", 1_000_000, now),
                        "a client without a quota is not metered");
                assertEquals(0, rates.record(ByteRateQuotas.Kind.FETCH, "u", "app", 1_000_000, now),
                        "no consumer_byte_rate is set");
                assertEquals(10_000.0, rates.maxValueInWindow(ByteRateQuotas.Kind.PRODUCE, "u", "app"));
                assertTrue(rates.applies(ByteRateQuotas.Kind.PRODUCE, "u", "app"));
            }
        }
    }
}
