package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.RepeatedTest;

/**
 * After crash() no client waits on a connection of the crashed broker: each notices the cut at once
 * and carries on with the reopened one, long before its request timeout. Repeated because the
 * failure it guards against was a race (1 in 25 before the fix: a connection left open by Netty's
 * event loop shutdown, its client stalled until request.timeout.ms).
 */
class CrashCutsConnectionsTest {
    @RepeatedTest(25)
    void producerCarriesOnWithoutWaitingForARequestTimeout() throws Exception {
        try (EmbeddedWeir weir = EmbeddedWeir.startDefault()) {
            weir.createTopic("crashed", 2);
            ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
            try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.BATCH_SIZE_CONFIG, 512,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20000))) {
                for (int i = 0; i < 2000; i++) {
                    String v = "r" + i;
                    producer.send(new ProducerRecord<>("crashed", v, v), (md, e) -> { if (e == null) acked.add(v); });
                    if (i == 1000) {
                        Clients.await(Duration.ofSeconds(30), "acked", () -> acked.size() > 100);
                        weir.crash();
                    }
                }
                long t = System.nanoTime();
                producer.flush();
                long ms = (System.nanoTime() - t) / 1_000_000;
                assertTrue(ms < 10_000, "flush took " + ms + " ms (request.timeout.ms is 20000)");
            }
        }
    }
}
