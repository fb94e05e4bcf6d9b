package dev.weir.gateway;

import dev.weir.gateway.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A build step, not part of the server: runs a gateway through a start, Metadata, CreateTopics,
 * Produce, Fetch, a group's offsets and a stop, with kafka-clients in the same JVM, and exits. Run
 * with {@code -XX:ArchiveClassesAtExit=weir.jsa}, the JVM then archives every class this loaded
 * (Application Class-Data Sharing), and a gateway started with {@code -XX:SharedArchiveFile=weir.jsa}
 * maps them instead of loading, verifying and linking them one by one: it starts in about half the
 * time and with less memory.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("weir-cds-training");
        try (Gateway gateway = Gateway.start(ConfigLoader.load(new String[] {
            "--set", "listeners=PLAINTEXT://127.0.0.1:0", "--set", "log.dir=" + dir,
            "--set", "metrics.jmx.enable=true", "--set", "group.initial.rebalance.delay.ms=0",
            "--set", "metrics.prometheus.listener=127.0.0.1:0"}, Map.of()))) {
            String bootstrap = "127.0.0.1:" + gateway.port();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("training", 1, (short) 1)))
                        .all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("training", new byte[100]));
                }
                producer.flush();
            }
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "training",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
                consumer.subscribe(List.of("training"));
                int read = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (read < 100 && System.nanoTime() < deadline) {
                    read += consumer.poll(Duration.ofMillis(100)).count();
                }
                consumer.commitSync();
                if (read < 100) {
                    throw new IllegalStateException("training read " + read + " of 100 records");
                }
                consumer.committed(java.util.Set.of(new TopicPartition("training", 0)));
            }
            // A scrape and a readiness check, so a gateway with the metrics endpoint on starts from the archive too.
            for (String path : List.of("/metrics", "/ready")) {
                java.net.HttpURLConnection http = (java.net.HttpURLConnection) java.net.URI.create(
                        "http://127.0.0.1:" + gateway.metricsPort() + path).toURL().openConnection();
                try (java.io.InputStream in = http.getInputStream()) {
                    in.readAllBytes();
                } finally {
                    http.disconnect();
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        // a temporary directory: left behind at worst
                    }
                });
            }
        }
    }
}
