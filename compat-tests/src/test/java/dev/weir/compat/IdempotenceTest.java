package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Idempotent producers: retried batches land once, in order, even across kill -9. */
class IdempotenceTest {
    private static final int RECORDS = 200_000;

    /**
     * 200,000 records from one idempotent producer with five requests in flight while the broker is
     * killed twice: the producer retries what it did not hear back about, and the partition must end
     * up holding every record exactly once, in the order sent.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anIdempotentProducerWritesEveryRecordExactlyOnceThroughTwoKill9s(Target target) {
        try (Broker broker = target.start("idempotence-kill9", Map.of())) {
            String topic = Clients.uniqueTopic("idempotent");
            Clients.createTopics(broker, Clients.topic(topic, 1));
            AtomicInteger acked = new AtomicInteger();
            AtomicReference<Exception> failure = new AtomicReference<>();
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                    ProducerConfig.LINGER_MS_CONFIG, 5,
                    ProducerConfig.BATCH_SIZE_CONFIG, 16_384,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
                    ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200,
                    ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200))) {
                Thread sender = new Thread(() -> {
                    for (int i = 0; i < RECORDS; i++) {
                        producer.send(new ProducerRecord<>(topic, 0, null, Integer.toString(i)), (metadata, error) -> {
                            if (error != null) {
                                failure.compareAndSet(null, error);
                            } else {
                                acked.incrementAndGet();
                            }
                        });
                    }
                }, "idempotent-sender");
                sender.start();
                for (int kill : new int[] {RECORDS / 4, RECORDS / 2}) {
                    Await.until(Duration.ofSeconds(120), kill + " records acknowledged", () -> {
                        assertNull(failure.get(), "a send failed");
                        return acked.get() >= kill;
                    });
                    broker.kill9();
                    broker.restart();
                }
                Await.until(Duration.ofSeconds(300), "every record acknowledged", () -> {
                    assertNull(failure.get(), "a send failed");
                    return acked.get() == RECORDS;
                });
                sender.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            List<Integer> log = new ArrayList<>(RECORDS);
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker,
                    Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000))) {
                Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)))
                        .forEach(r -> log.add(Integer.parseInt(r.value())));
            }
            int firstWrong = -1;
            for (int i = 0; i < Math.min(log.size(), RECORDS); i++) {
                if (log.get(i) != i) {
                    firstWrong = i;
                    break;
                }
            }
            assertTrue(firstWrong < 0, "at log index " + firstWrong + " expected record " + firstWrong + " but found "
                    + (firstWrong < 0 ? null : log.get(firstWrong)));
            assertEquals(RECORDS, log.size(), "every record exactly once");
        }
    }
}
