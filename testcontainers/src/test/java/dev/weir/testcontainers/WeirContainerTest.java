package dev.weir.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.Volume;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * WeirContainer on the image built from the repository's Dockerfile, with real kafka-clients: from the
 * host, from another container through the network alias, over SASL and TLS, and the image's healthcheck,
 * SIGTERM stop and /data volume. Every container, network, image and volume made here is removed.
 */
@ExtendWith(DockerCondition.class)
class WeirContainerTest {
    private static final Duration POLL_LIMIT = Duration.ofSeconds(30);
    private static Network network;
    private static WeirContainer weir;

    @BeforeAll
    static void startShared() {
        network = Network.newNetwork();
        weir = new WeirContainer(WeirImage.name()).withNetwork(network).withNetworkAliases("weir");
        weir.start();
    }

    @AfterAll
    static void stopShared() {
        if (weir != null) {
            weir.stop();
        }
        if (network != null) {
            network.close();
        }
        WeirImage.remove();
    }

    @Test
    void producerAndGroupConsumerFromTheHost() throws Exception {
        try (Admin admin = Admin.create(weir.getClientProperties())) {
            admin.createTopics(List.of(new NewTopic("orders", 2, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = producer(weir, Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("orders", "k" + i, "v" + i)).get();
            }
        }
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer(weir, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "billing"))) {
            consumer.subscribe(List.of("orders"));
            long deadline = System.nanoTime() + POLL_LIMIT.toNanos();
            while (values.size() < 10 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> values.add(r.value()));
            }
            consumer.commitSync();
        }
        assertEquals(10, values.size(), "records received: " + values);
        try (Admin admin = Admin.create(weir.getClientProperties())) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets("billing").partitionsToOffsetAndMetadata().get();
            assertEquals(10L, committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum(),
                    "committed offsets: " + committed);
        }
    }

    @Test
    void committedTransactionIsVisibleAndAbortedIsNot() throws Exception {
        try (KafkaProducer<String, String> producer = producer(weir, Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-docker"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("ledger", "committed-1"));
            producer.send(new ProducerRecord<>("ledger", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("ledger", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("ledger", "last"));
            producer.commitTransaction();
        }
        List<String> values = readUntil(weir, "ledger", "last", Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        assertEquals(List.of("committed-1", "committed-2", "last"), values);
    }

    @Test
    void clientInAnotherContainerUsesTheNetworkAlias() throws Exception {
        String base = WeirImage.baseImage() != null ? WeirImage.baseImage() : "debian:bookworm-slim";
        ImageFromDockerfile kcatImage = new ImageFromDockerfile("weir-test-kcat:" + Long.toString(System.nanoTime(), 36), true)
                .withDockerfileFromBuilder(b -> b.from(base)
                        .run("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kcat"
                                + " && rm -rf /var/lib/apt/lists/*")
                        .build());
        // kcat bootstraps from weir:9093 and then talks to the broker Metadata advertises: the alias.
        try (GenericContainer<?> kcat = new GenericContainer<>(kcatImage)
                .withNetwork(network)
                .withCommand("bash", "-c", "echo from-container | kcat -b " + weir.getInternalBootstrapServers()
                        + " -P -t c2c && kcat -b " + weir.getInternalBootstrapServers()
                        + " -C -t c2c -o beginning -c 1 -e -q && kcat -b " + weir.getInternalBootstrapServers() + " -L -t c2c")
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)))) {
            kcat.start();
            String logs = kcat.getLogs();
            assertTrue(logs.contains("from-container"), logs);
            assertTrue(logs.contains("at weir:9093"), "Metadata should advertise the alias: " + logs);
        } finally {
            if (kcatImage.isDone()) {
                WeirImage.removeImage(kcatImage.get());
            }
        }
        assertEquals(List.of("from-container"), readUntil(weir, "c2c", "from-container", Map.of()));
    }

    @Test
    void saslPlainAndScramUsersThroughTheHelpers() throws Exception {
        try (WeirContainer secured = new WeirContainer(WeirImage.name())
                .withSaslPlain("alice", "alice-secret")
                .withScram("SCRAM-SHA-256", "bob", "bob-secret")) {
            secured.start();
            try (KafkaProducer<String, String> producer = producer(secured, Map.of())) {
                producer.send(new ProducerRecord<>("secured", "by-alice")).get();
            }
            assertEquals(List.of("by-alice"), readUntil(secured, "secured", "by-alice", Map.of()));

            Map<String, Object> bob = new HashMap<>(secured.getClientProperties());
            bob.put("sasl.mechanism", "SCRAM-SHA-256");
            bob.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                    + " username=\"bob\" password=\"bob-secret\";");
            try (Admin admin = Admin.create(bob)) {
                assertTrue(admin.listTopics().names().get().contains("secured"));
            }

            Map<String, Object> wrong = new HashMap<>(secured.getClientProperties());
            wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                    + " username=\"alice\" password=\"wrong\";");
            try (Admin admin = Admin.create(wrong)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> admin.listTopics().names().get());
                assertInstanceOf(SaslAuthenticationException.class, e.getCause());
            }
        }
    }

    @Test
    void tlsWithSaslPlainThroughTheHelpers(@TempDir Path dir) throws Exception {
        // Clients check the host name: the certificate names the address Testcontainers gives the host.
        String[] pem = selfSignedPem(dir, DockerClientFactory.instance().dockerHostIpAddress());
        try (WeirContainer secured = new WeirContainer(WeirImage.name())
                .withTls(pem[0], pem[1])
                .withSaslPlain("carol", "carol-secret")) {
            secured.start();
            assertEquals("SASL_SSL", secured.getClientProperties().get("security.protocol"));
            try (KafkaProducer<String, String> producer = producer(secured, Map.of())) {
                producer.send(new ProducerRecord<>("over-tls", "by-carol")).get();
            }
            assertEquals(List.of("by-carol"), readUntil(secured, "over-tls", "by-carol", Map.of()));
        }
    }

    @Test
    void imageHealthcheckBecomesHealthy() throws Exception {
        DockerClient docker = DockerClientFactory.instance().client();
        HealthCheck declared = docker.inspectImageCmd(WeirImage.name()).exec().getConfig().getHealthcheck();
        assertEquals(List.of("CMD", "/opt/weir/bin/weir-healthcheck"), declared.getTest());
        // The image's own check, run every 200 ms instead of 10 s so the test need not wait.
        try (WeirContainer checked = new WeirContainer(WeirImage.name())
                .withCreateContainerCmdModifier(cmd -> cmd.withHealthcheck(new HealthCheck()
                        .withTest(declared.getTest()).withInterval(200_000_000L).withTimeout(5_000_000_000L)
                        .withRetries(3).withStartPeriod(0L)))) {
            checked.start();
            long deadline = System.nanoTime() + POLL_LIMIT.toNanos();
            String status = health(docker, checked.getContainerId());
            while (!"healthy".equals(status) && System.nanoTime() < deadline) {
                Thread.sleep(100);
                status = health(docker, checked.getContainerId());
            }
            assertEquals("healthy", status);
        }
    }

    @Test
    void sigtermStopsPromptlyAndDataOnTheVolumeSurvives() throws Exception {
        DockerClient docker = DockerClientFactory.instance().client();
        String volume = "weir-test-data-" + Long.toString(System.nanoTime(), 36);
        docker.createVolumeCmd().withName(volume).exec();
        try {
            try (WeirContainer first = onVolume(volume)) {
                first.start();
                try (KafkaProducer<String, String> producer = producer(first, Map.of())) {
                    for (int i = 0; i < 5; i++) {
                        producer.send(new ProducerRecord<>("durable", "d" + i)).get();
                    }
                }
                long started = System.nanoTime();
                docker.stopContainerCmd(first.getContainerId()).withTimeout(30).exec();
                long stopMs = (System.nanoTime() - started) / 1_000_000;
                InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(first.getContainerId()).exec().getState();
                System.out.println("docker stop took " + stopMs + " ms, exit code " + state.getExitCodeLong());
                assertTrue(Set.of(0L, 143L).contains(state.getExitCodeLong()), "exit code " + state.getExitCodeLong());
                assertTrue(stopMs < 10_000, "docker stop took " + stopMs + " ms");
                assertTrue(first.getLogs().contains("Weir gateway stopped"), first.getLogs());
            }
            try (WeirContainer second = onVolume(volume)) {
                second.start();
                assertEquals(List.of("d0", "d1", "d2", "d3", "d4"), readUntil(second, "durable", "d4", Map.of()));
            }
        } finally {
            docker.removeVolumeCmd(volume).exec();
        }
    }

    /** A self-signed certificate for {@code host} (a name or an IP address) and its PKCS#8 key, in PEM, by keytool. */
    private static String[] selfSignedPem(Path dir, String host) throws Exception {
        Path store = dir.resolve("weir.p12");
        char[] password = "changeit".toCharArray();
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "weir", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=weir",
                "-ext", "SAN=" + (host.matches("[0-9.]+|.*:.*") ? "ip:" : "dns:") + host, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), "keytool: " + output);
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, password);
        }
        Base64.Encoder base64 = Base64.getMimeEncoder(64, new byte[] {'\n'});
        Key key = keyStore.getKey("weir", password);
        byte[] certificate = keyStore.getCertificate("weir").getEncoded();
        return new String[] {
            "-----BEGIN CERTIFICATE-----\n" + base64.encodeToString(certificate) + "\n-----END CERTIFICATE-----\n",
            "-----BEGIN PRIVATE KEY-----\n" + base64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n"};
    }

    private static WeirContainer onVolume(String volume) {
        return new WeirContainer(WeirImage.name())
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(new Bind(volume, new Volume("/data"))));
    }

    private static String health(DockerClient docker, String containerId) {
        InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(containerId).exec().getState();
        return state.getHealth() == null ? null : state.getHealth().getStatus();
    }

    private static KafkaProducer<String, String> producer(WeirContainer container, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(container.getClientProperties());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }

    private static KafkaConsumer<String, String> consumer(WeirContainer container, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(container.getClientProperties());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putAll(extra);
        return new KafkaConsumer<>(props);
    }

    /** Every value of the topic's partition 0 from the start, up to and including {@code last}. */
    private static List<String> readUntil(WeirContainer container, String topic, String last, Map<String, Object> extra) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer(container, extra)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + POLL_LIMIT.toNanos();
            while (!values.contains(last) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
