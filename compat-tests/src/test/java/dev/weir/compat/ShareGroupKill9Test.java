package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.junit.jupiter.api.Test;

/**
 * Share-group state across a {@code kill -9} of the gateway: acknowledged records are never
 * delivered again and every unacknowledged one is. Weir only: Kafka 4.4 does not persist
 * acquisitions, and a killed single-node Kafka takes long to recover its share coordinator.
 */
class ShareGroupKill9Test {

    @Test
    void acknowledgedRecordsStayAcknowledgedAndTheRestComeBackAfterAKill9() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "Weir only");
        try (Broker broker = Target.WEIR.start("share-kill9", ShareGroups.BROKER_SETTINGS)) {
            String topic = Clients.uniqueTopic("share-kill9");
            String group = Clients.uniqueTopic("share-kill9-g");
            Clients.createTopics(broker, Clients.topic(topic, 2));
            ShareGroups.startAtEarliest(broker, group);
            List<String> values = ShareGroups.produce(broker, topic, 2, "k", 40);

            Set<String> accepted = new TreeSet<>();
            Set<String> held = new TreeSet<>();
            KafkaShareConsumer<String, String> before = ShareGroups.consumer(broker, group, "explicit");
            try {
                before.subscribe(List.of(topic));
                long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
                // Accept every record with an even offset, hold (never acknowledge) the odd ones, until 10 are accepted.
                while (accepted.size() < 10) {
                    assertTrue(System.nanoTime() - deadline < 0, "timed out: accepted " + accepted);
                    var records = before.poll(ShareGroups.poll());
                    for (var r : records) {
                        if (r.offset() % 2 == 0) {
                            before.acknowledge(r, AcknowledgeType.ACCEPT);
                            accepted.add(r.value());
                        } else {
                            held.add(r.value());
                        }
                    }
                    if (!records.isEmpty()) {
                        before.commitSync().forEach((tp, error) ->
                                assertEquals(Optional.empty(), error, "acknowledgement of " + tp));
                    }
                }
                broker.kill9();
                broker.restart();
            } finally {
                before.close(Duration.ofSeconds(5));
            }

            Set<String> expected = new TreeSet<>(values);
            expected.removeAll(accepted);
            List<String> after = new ArrayList<>();
            try (KafkaShareConsumer<String, String> c = ShareGroups.consumer(broker, group, "explicit")) {
                c.subscribe(List.of(topic));
                long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
                long quietEnd = Long.MAX_VALUE;
                while (System.nanoTime() - quietEnd < 0) {
                    assertTrue(System.nanoTime() - deadline < 0, "timed out: after the restart got " + after);
                    var records = c.poll(ShareGroups.poll());
                    records.forEach(r -> {
                        after.add(r.value());
                        c.acknowledge(r, AcknowledgeType.ACCEPT);
                    });
                    if (!records.isEmpty()) {
                        c.commitSync();
                    }
                    if (quietEnd == Long.MAX_VALUE && new HashSet<>(after).containsAll(expected)) {
                        quietEnd = System.nanoTime() + Duration.ofMillis(2L * ShareGroups.LOCK_MS).toNanos();
                    }
                }
            }
            Set<String> again = new TreeSet<>(after);
            again.retainAll(accepted);
            assertEquals(Set.of(), again, "acknowledged records delivered again after the kill -9");
            assertEquals(expected, new TreeSet<>(after), "every unacknowledged record delivered after the kill -9 (held: " + held + ")");
            assertEquals(after.size(), new HashSet<>(after).size(), "no record delivered twice after the restart: " + after);
        }
    }
}
