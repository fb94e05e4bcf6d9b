package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;

/** What a test relies on from an embedded broker: a free port, its own data, restart and crash keeping acknowledged records. */
class EmbeddedWeirTest {

    @Test
    void startsOnAFreePortAndAdvertisesIt() throws Exception {
        try (EmbeddedWeir weir = EmbeddedWeir.startDefault()) {
            assertNotEquals(0, weir.port());
            assertEquals("127.0.0.1:" + weir.port(), weir.bootstrapServers());
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, weir.bootstrapServers()))) {
                var nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
                assertEquals(1, nodes.size());
                assertEquals(weir.port(), nodes.iterator().next().port(), "Metadata advertises the bound port");
            }
        }
    }

    @Test
    void createTopicAppliesCreateTopicsChecks() throws Exception {
        try (EmbeddedWeir weir = EmbeddedWeir.startDefault()) {
            weir.createTopic("orders", 3, Map.of("cleanup.policy", "compact"));
            assertThrows(TopicExistsException.class, () -> weir.createTopic("orders", 1));
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, weir.bootstrapServers()))) {
                var description = admin.describeTopics(List.of("orders")).allTopicNames().get(30, TimeUnit.SECONDS);
                assertEquals(3, description.get("orders").partitions().size());
            }
        }
    }

    @Test
    void anyConfigKeyIsValidatedAsTheStandaloneBrokerDoes() {
        try (EmbeddedWeir weir = EmbeddedWeir.builder().config("num.partitions", "4").config("log.retention.ms", "-1").start()) {
            weir.createTopic("defaults", -1);
        }
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> EmbeddedWeir.builder().config("no.such.key", "1").build());
        assertTrue(unknown.getMessage().contains("no.such.key"), unknown.getMessage());
        ConfigException bad = assertThrows(ConfigException.class,
                () -> EmbeddedWeir.builder().config("num.partitions", "zero").build());
        assertTrue(bad.getMessage().contains("num.partitions"), bad.getMessage());
    }

    @Test
    void closeDeletesItsTemporaryDirectoryAndMemoryBackedLivesInDevShm() {
        Path dir;
        try (EmbeddedWeir weir = EmbeddedWeir.builder().memoryBacked().start()) {
            dir = weir.dataDir();
            assertTrue(Files.isDirectory(dir));
            if (Files.isDirectory(Path.of("/dev/shm"))) {
                assertTrue(dir.startsWith("/dev/shm"), dir.toString());
            }
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void restartKeepsRecordsAndPort() throws Exception {
        try (EmbeddedWeir weir = EmbeddedWeir.startDefault()) {
            weir.createTopic("kept", 2);
            int port = weir.port();
            List<String> sent = send(weir, "kept", "a", 50);
            weir.restart();
            assertEquals(port, weir.port());
            sent.addAll(send(weir, "kept", "b", 50));
            assertEquals(new TreeSet<>(sent), new TreeSet<>(Clients.readAll(weir, "kept", 2, sent.size())));
            assertEquals(sent.size(), Clients.readAll(weir, "kept", 2, sent.size()).size());
        }
    }

    /** (g) ARCHITECTURE.md: "A kill -9 at any moment loses no acknowledged record." */
    @Test
    void crashWhileProducingLosesNoAcknowledgedRecord() throws Exception {
        try (EmbeddedWeir weir = EmbeddedWeir.startDefault()) {
            weir.createTopic("crashed", 2);
            int port = weir.port();
            ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
            List<String> failed = Collections.synchronizedList(new ArrayList<>());
            int total = 2000;
            try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.BATCH_SIZE_CONFIG, 512))) {
                for (int i = 0; i < total; i++) {
                    String v = "r" + i;
                    producer.send(new ProducerRecord<>("crashed", v, v), (md, e) -> {
                        if (e == null) {
                            acked.add(v);
                        } else {
                            failed.add(v + ": " + e);
                        }
                    });
                    if (i == total / 2) {
                        // the crash lands with acknowledged, committed-but-unanswered and queued batches about
                        Clients.await(Duration.ofSeconds(30), "some records acknowledged", () -> acked.size() > 100);
                        weir.crash();
                    }
                }
                producer.flush();
            }
            assertEquals(port, weir.port(), "the crashed broker comes back on its port");
            assertTrue(failed.isEmpty(), "the idempotent producer retries through the crash: " + failed);
            List<String> read = Clients.readAll(weir, "crashed", 2, total);
            Set<String> present = new TreeSet<>(read);
            for (String v : acked) {
                assertTrue(present.contains(v), "acknowledged record " + v + " survives the crash");
            }
            assertEquals(total, read.size(), "each record once: retries of batches committed before the crash are deduplicated");
        }
    }

    private static List<String> send(EmbeddedWeir weir, String topic, String prefix, int n) throws Exception {
        List<String> values = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of())) {
            for (int i = 0; i < n; i++) {
                String v = prefix + i;
                producer.send(new ProducerRecord<>(topic, v, v)).get(30, TimeUnit.SECONDS);
                values.add(v);
            }
        }
        return values;
    }
}
