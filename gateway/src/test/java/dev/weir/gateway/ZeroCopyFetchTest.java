package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetches at the tail are sent from the cache's off-heap memory without a copy. A consumer reading
 * while a producer writes 24 MiB through a 2 MiB cache, so that chunks are evicted while fetches
 * are in flight, sees every record intact, and every view is given back once written. A second
 * consumer then reads it all again, mostly from LMDB, whose bytes go out through pooled off-heap
 * copies that are given back too. (That an evicted chunk stays intact while a read holds it is
 * checked deterministically in the storage module's ReadIndexTest.)
 */
class ZeroCopyFetchTest {
    private static final int RECORDS = 6000;
    private static final int SIZE = 4096;

    private static byte[] value(int i) {
        byte[] v = new byte[SIZE];
        new Random(i).nextBytes(v);
        ByteBuffer.wrap(v).putInt(i);
        return v;
    }

    @Test
    void fetchesSendStoredBytesWithoutCopiesAndGiveThemAllBack(@TempDir Path dir) throws Exception {
        try (EmbeddedGateway g = new EmbeddedGateway(dir, "cache.max.bytes=2097152", "storage.containers=1",
                "storage.sync=false")) {
            TopicPartition tp = new TopicPartition("views", 0);
            try (KafkaProducer<byte[], byte[]> warm = producer(g)) {
                warm.send(new ProducerRecord<>(tp.topic(), 0, null, value(0))).get(); // creates the topic
            }
            CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> {
                try (KafkaProducer<byte[], byte[]> producer = producer(g)) {
                    for (int i = 1; i < RECORDS; i++) {
                        producer.send(new ProducerRecord<>(tp.topic(), 0, null, value(i)));
                    }
                    producer.flush();
                }
            });
            readAllAndCheck(g, tp); // alongside the producer: mostly the cache's tail
            produced.get();
            readAllAndCheck(g, tp); // again from the start: mostly LMDB, through pooled off-heap copies
            MetricRegistry m = g.gateway.metrics();
            assertTrue(m.meter("storage.cache.hits").getCount() > 0, "fetches were served from the cache");
            assertTrue(m.counter("storage.cache.evictions").getCount() > 0, "24 MiB through a 2 MiB cache evicts");
            @SuppressWarnings("unchecked")
            Gauge<Integer> leases = m.getGauges().get("storage.container.0.cache-leases");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (leases.getValue() != 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // a view is given back just after its write completes
            }
            assertEquals(0, leases.getValue(), "every view given back once written");
            assertTrue(m.meter("storage.cache.misses").getCount() > 0, "the second pass read from LMDB");
            @SuppressWarnings("unchecked")
            Gauge<Integer> copies = m.getGauges().get("storage.container.0.read-buffer-leases");
            while (copies.getValue() != 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(0, copies.getValue(), "every off-heap copy of LMDB's bytes given back once written");
            assertTrue((Long) m.getGauges().get("storage.container.0.read-buffers-retained-bytes").getValue() > 0,
                    "LMDB's bytes went out through pooled off-heap buffers, kept for the next read");
        }
    }

    /** Reads the partition from the start with a real consumer, checking every record's offset and bytes. */
    private static void readAllAndCheck(EmbeddedGateway g, TopicPartition tp) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, g.bootstrap(),
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            int next = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (next < RECORDS && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals(next, r.offset());
                    assertTrue(java.util.Arrays.equals(value(next), r.value()), "record " + next + " intact");
                    next++;
                }
            }
            assertEquals(RECORDS, next, "every record read");
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedGateway g) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, g.bootstrap(),
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }
}
