package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A connection with too many request bytes unanswered stops reading, and reads again once answered. */
class BackpressureTest {

    private static KafkaProducer<String, String> producer(EmbeddedGateway g) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, g.bootstrap(),
                ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.BATCH_SIZE_CONFIG, 2048,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    private static List<Long> sendAll(KafkaProducer<String, String> producer, String topic, int count) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sent.add(producer.send(new ProducerRecord<>(topic, 0, "k", "x".repeat(1000) + i)));
        }
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> f : sent) {
            offsets.add(f.get(60, TimeUnit.SECONDS).offset());
        }
        return offsets;
    }

    /**
     * A connection resumes on its event loop after the answer that freed the budget is sent, so the
     * client may see the answer a moment before the resume: poll, with a deadline.
     */
    private static void awaitNoneLeftPaused(MetricRegistry m) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (m.counter("kafka.network.backpressure.paused-connections").getCount() != 0) {
            if (System.nanoTime() > deadline) {
                assertEquals(0, m.counter("kafka.network.backpressure.paused-connections").getCount(),
                        "every paused connection resumed");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aConnectionOverItsLimitPausesAndEveryRequestIsStillAnswered(@TempDir Path dir) throws Exception {
        // One byte: every request read pauses its connection until that request is answered.
        try (EmbeddedGateway g = new EmbeddedGateway(dir, "queued.max.request.bytes.per.connection=1");
             KafkaProducer<String, String> producer = producer(g)) {
            List<Long> offsets = sendAll(producer, "paced", 500);
            assertEquals(java.util.stream.LongStream.range(0, 500).boxed().toList(), offsets);
            MetricRegistry m = g.gateway.metrics();
            assertTrue(m.counter("kafka.network.backpressure.pauses").getCount() > 0, "connections were paused");
            awaitNoneLeftPaused(m);
            assertEquals(0L, m.getGauges().get("kafka.network.queued-request-bytes").getValue(), "nothing stays queued");
        }
    }

    @Test
    void connectionsPausedByTheTotalLimitResumeWhenOthersAreAnswered(@TempDir Path dir) throws Exception {
        try (EmbeddedGateway g = new EmbeddedGateway(dir, "queued.max.request.bytes=1");
             KafkaProducer<String, String> first = producer(g);
             KafkaProducer<String, String> second = producer(g)) {
            java.util.concurrent.CompletableFuture<List<Long>> a = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return sendAll(first, "shared-a", 300);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            List<Long> b = sendAll(second, "shared-b", 300);
            assertEquals(300, a.get(60, TimeUnit.SECONDS).size());
            assertEquals(299L, b.get(299));
            MetricRegistry m = g.gateway.metrics();
            assertTrue(m.counter("kafka.network.backpressure.pauses").getCount() > 0, "connections were paused");
            awaitNoneLeftPaused(m);
        }
    }
}
