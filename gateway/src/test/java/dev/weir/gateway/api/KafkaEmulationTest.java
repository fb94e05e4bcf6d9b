package dev.weir.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;

class KafkaEmulationTest {

    @Test
    void theTableNamesTheReleasesTheConfigAccepts() {
        assertEquals(List.of("2.8", "3.0", "3.6", "3.9", "4.0"), KafkaEmulation.releases());
    }

    @Test
    void anApiIsServedWithinBothRangesAndNotAtAllWhereTheReleaseLackedIt() {
        KafkaEmulation kafka28 = KafkaEmulation.of("2.8");
        assertEquals(Optional.of(new ApiSupport(ApiKeys.PRODUCE, (short) 3, (short) 9)),
                kafka28.clamp(ApiSupport.of(ApiKeys.PRODUCE, 3, 13)), "Produce: Weir 3-13, Kafka 2.8 0-9");
        assertEquals(Optional.of(new ApiSupport(ApiKeys.FETCH, (short) 4, (short) 12)),
                kafka28.clamp(ApiSupport.of(ApiKeys.FETCH, 4, 18)), "Fetch: Weir 4-18, Kafka 2.8 0-12");
        assertEquals(Optional.empty(), kafka28.clamp(ApiSupport.of(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 0, 1)));
        assertTrue(kafka28.features().isEmpty(), "a ZooKeeper broker of 2.8 advertised no features");
        ApiSupport weirs = ApiSupport.of(ApiKeys.PRODUCE, 3, 13);
        assertEquals(Optional.of(weirs), KafkaEmulation.off().clamp(weirs), "off: Weir's own range");
    }

    @Test
    void kafka39ListedTheConsumerProtocolButDidNotServeItByDefault() {
        KafkaEmulation kafka39 = KafkaEmulation.of("3.9");
        assertTrue(kafka39.clamp(ApiSupport.of(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 0, 1)).isPresent());
        assertTrue(kafka39.unserved(ApiKeys.CONSUMER_GROUP_HEARTBEAT));
        assertFalse(KafkaEmulation.of("4.0").unserved(ApiKeys.CONSUMER_GROUP_HEARTBEAT));
    }

    @Test
    void kafka40FinalizesGroupVersion1AndTransactionVersion2() {
        List<KafkaEmulation.Feature> features = KafkaEmulation.of("4.0").features();
        assertTrue(features.contains(new KafkaEmulation.Feature("group.version", (short) 0, (short) 1, Optional.of((short) 1))));
        assertTrue(features.contains(new KafkaEmulation.Feature("transaction.version", (short) 0, (short) 2,
                Optional.of((short) 2))));
        assertTrue(KafkaEmulation.of("3.9").features().stream().noneMatch(f -> f.name().equals("transaction.version")));
    }
}
