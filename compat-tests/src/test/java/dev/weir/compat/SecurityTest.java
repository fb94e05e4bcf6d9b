package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.DuplicateResourceException;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnacceptableCredentialException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS and SASL as Kafka does them, on Weir and on Kafka 4.4 configured with the same keys
 * ({@link SecuredBroker}): every kind of listener carries produce, group consumption and
 * transactions; failures get Kafka's errors; nothing but ApiVersions and SASL is served before
 * authentication; sessions re-authenticate; SCRAM users are managed with Kafka's admin API and
 * CLI; old clients, kcat and the CLI tools connect with their usual settings.
 */
class SecurityTest {
    private static final Map<Target, SecuredBroker> BROKERS = new EnumMap<>(Target.class);
    private static final String BOB = "bob";
    private static final String BOB_PASSWORD = "bob-secret-512";
    private static final String CAROL = "carol";
    private static final String CAROL_PASSWORD = "carol-secret-256";

    static java.util.stream.Stream<Target> targets() {
        return Target.selected();
    }

    /** The secured broker of {@code target}, with the SCRAM users bob (SHA-512) and carol (SHA-256). */
    private static synchronized SecuredBroker on(Target target) {
        SecuredBroker b = BROKERS.get(target);
        if (b == null) {
            b = SecuredBroker.start(target, "secure");
            BROKERS.put(target, b);
            b.addScramUser(BOB, BOB_PASSWORD, ScramMechanism.SCRAM_SHA_512, b.securePort);
            b.addScramUser(CAROL, CAROL_PASSWORD, ScramMechanism.SCRAM_SHA_256, b.saslPlaintextPort);
        }
        if (!b.broker.isAlive()) {
            throw new AssertionError(b + " is no longer running; see " + b.broker.logFile());
        }
        return b;
    }

    @AfterAll
    static void stopBrokers() {
        synchronized (SecurityTest.class) {
            BROKERS.values().forEach(SecuredBroker::close);
            BROKERS.clear();
        }
    }

    // ---- every listener carries produce, group consumption and transactions ----

    @ParameterizedTest
    @MethodSource("targets")
    void everySecuredListenerCarriesProduceAndGroupConsumption(Target target) {
        SecuredBroker b = on(target);
        Map<String, Map<String, Object>> clients = new java.util.LinkedHashMap<>();
        clients.put("sasl-plaintext-plain", b.sasl(b.saslPlaintextPort, "PLAIN", SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD));
        clients.put("sasl-plaintext-scram256", b.sasl(b.saslPlaintextPort, "SCRAM-SHA-256", CAROL, CAROL_PASSWORD));
        clients.put("sasl-ssl-scram512", b.sasl(b.securePort, "SCRAM-SHA-512", BOB, BOB_PASSWORD));
        clients.put("mtls", b.mtls(b.pki.client("alice", "CN=Alice,O=Weir")));
        for (Map.Entry<String, Map<String, Object>> c : clients.entrySet()) {
            String topic = Clients.uniqueTopic("secure-" + c.getKey());
            Clients.createTopics(b.broker, Clients.topic(topic, 2));
            roundTrip(b, topic, c.getValue(), 20);
        }
    }

    private static void roundTrip(SecuredBroker b, String topic, Map<String, Object> security, int count) {
        Map<String, Object> producerProps = new HashMap<>(security);
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, String> producer = Clients.producer(b.broker, producerProps)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i)));
            }
            sent.forEach(Clients::get);
        }
        String group = topic + "-group";
        Map<String, Object> consumerProps = new HashMap<>(security);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(b.broker, consumerProps)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> read = new ArrayList<>();
            Await.until(Clients.TIMEOUT, count + " records of " + topic, () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                return read.size() >= count;
            });
            assertEquals(count, read.size());
            consumer.commitSync();
        }
        try (Admin admin = Clients.admin(b.broker)) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            assertEquals(count, committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum(),
                    "offsets committed over " + security.get("security.protocol"));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void transactionsRunOverSaslSslWithScramSha512(Target target) {
        SecuredBroker b = on(target);
        String topic = Clients.uniqueTopic("secure-txn");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        Map<String, Object> security = b.sasl(b.securePort, "SCRAM-SHA-512", BOB, BOB_PASSWORD);
        Map<String, Object> producerProps = new HashMap<>(security);
        producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-txn");
        try (KafkaProducer<String, String> producer = Clients.producer(b.broker, producerProps)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "committed-" + i, "c"));
            }
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, "aborted-" + i, "a"));
            }
            producer.flush();
            producer.abortTransaction();
        }
        Map<String, Object> consumerProps = new HashMap<>(security);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = Clients.consumer(b.broker, consumerProps)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            List<ConsumerRecord<String, String>> read = Clients.readToEnd(consumer, List.of(tp));
            assertEquals(10, read.size());
            assertTrue(read.stream().allMatch(r -> r.key().startsWith("committed-")));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void metadataAndFindCoordinatorAnswerWithTheListenerOfTheRequest(Target target) {
        SecuredBroker b = on(target);
        String group = Clients.uniqueTopic("listener-group");
        String topic = Clients.uniqueTopic("listener-topic");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        try (Admin plain = Clients.admin(b.broker)) {
            Clients.get(plain.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0))).all());
        }
        Map<Integer, Map<String, Object>> byPort = Map.of(
                b.securePort, b.sasl(b.securePort, "SCRAM-SHA-512", BOB, BOB_PASSWORD),
                b.mtlsPort, b.mtls(b.pki.client("alice", "CN=Alice,O=Weir")),
                b.saslPlaintextPort, b.sasl(b.saslPlaintextPort, "PLAIN", SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD));
        byPort.forEach((port, security) -> {
            try (Admin admin = SecuredBroker.admin(security)) {
                List<Integer> ports = Clients.get(admin.describeCluster().nodes()).stream().map(Node::port).toList();
                assertEquals(List.of(port), ports, "DescribeCluster's brokers on listener port " + port);
                ConsumerGroupDescription d = Clients.get(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group));
                assertEquals(port, d.coordinator().port(), "FindCoordinator's answer on listener port " + port);
                Clients.get(admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest())).all());
            }
        });
    }

    // ---- failures get Kafka's answers ----

    @ParameterizedTest
    @MethodSource("targets")
    void aFailedAuthenticationGetsKafkasErrorAndMessage(Target target) {
        SecuredBroker b = on(target);
        assertEquals("Authentication failed: Invalid username or password",
                authenticationFailure(b.sasl(b.saslPlaintextPort, "PLAIN", SecuredBroker.ALICE, "wrong-secret")));
        assertEquals("Authentication failed: Invalid username or password",
                authenticationFailure(b.sasl(b.saslPlaintextPort, "PLAIN", "mallory", "wrong-secret")));
        assertEquals("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
                authenticationFailure(b.sasl(b.saslPlaintextPort, "SCRAM-SHA-256", CAROL, "wrong-secret")));
        assertEquals("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
                authenticationFailure(b.sasl(b.securePort, "SCRAM-SHA-512", "mallory", "wrong-secret")));
        // bob has a SHA-512 credential only
        assertEquals("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
                authenticationFailure(b.sasl(b.securePort, "SCRAM-SHA-256", BOB, BOB_PASSWORD)));
    }

    private static String authenticationFailure(Map<String, Object> security) {
        try (Admin admin = SecuredBroker.admin(security)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            return assertInstanceOf(SaslAuthenticationException.class, e.getCause(), e.toString()).getMessage();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void anUnknownMechanismGetsTheEnabledList(Target target) {
        SecuredBroker b = on(target);
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl")) {
            SaslHandshakeResponse r = c.exchange(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("GSSAPI")).build((short) 1));
            assertEquals(Errors.UNSUPPORTED_SASL_MECHANISM, Errors.forCode(r.data().errorCode()));
            assertEquals(Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"), new HashSet<>(r.data().mechanisms()));
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)), "the connection closes after the refusal");
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void beforeAuthenticationOnlyApiVersionsAndSaslAreServed(Target target) {
        SecuredBroker b = on(target);
        MetadataRequest metadata = new MetadataRequest.Builder(new MetadataRequestData()
                .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("some-topic")))).build((short) 12);
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl")) {
            c.send(metadata);
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)), "Metadata as first request: closed, no answer");
        }
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl")) {
            ApiVersionsResponse versions = c.exchange(new ApiVersionsRequest.Builder(new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1"), (short) 3, (short) 3).build((short) 3));
            assertEquals(Errors.NONE, Errors.forCode(versions.data().errorCode()));
            c.send(metadata);
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)), "Metadata after ApiVersions: closed, no answer");
        }
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl")) {
            handshake(c, "PLAIN");
            MetadataResponse refused = c.exchange(metadata);
            assertEquals(Map.of(Errors.ILLEGAL_SASL_STATE, 1), refused.errorCounts(),
                    "Metadata between SaslHandshake and SaslAuthenticate");
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)));
        }
    }

    /** Clients before KIP-152 (SaslHandshake v0) send bare SASL tokens, answered bare, as Kafka does. */
    @ParameterizedTest
    @MethodSource("targets")
    void aSaslHandshakeV0IsFollowedByBareTokens(Target target) {
        SecuredBroker b = on(target);
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl-v0")) {
            SaslHandshakeResponse h = c.exchange(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("PLAIN")).build((short) 0));
            assertEquals(Errors.NONE, Errors.forCode(h.data().errorCode()));
            c.writeFrame(ByteBuffer.wrap(("\0" + SecuredBroker.ALICE + "\0" + SecuredBroker.ALICE_PASSWORD)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals(0, c.readFrame().remaining(), "PLAIN's empty challenge, size-prefixed");
            MetadataResponse served = c.exchange(new MetadataRequest.Builder(new MetadataRequestData().setTopics(List.of()))
                    .build((short) 12));
            assertTrue(served.errorCounts().isEmpty());
        }
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl-v0")) {
            c.exchange(new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN"))
                    .build((short) 0));
            c.writeFrame(ByteBuffer.wrap(("\0" + SecuredBroker.ALICE + "\0wrong-secret")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)), "a bad bare token closes the connection");
        }
    }

    /** Before authentication a frame above sasl.server.max.receive.size (512 KiB) closes the connection. */
    @ParameterizedTest
    @MethodSource("targets")
    void anOversizedFrameBeforeAuthenticationClosesTheConnection(Target target) {
        SecuredBroker b = on(target);
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl-big")) {
            c.writeRaw(ByteBuffer.allocate(4).putInt(1024 * 1024).array());
            c.writeRaw(new byte[64 * 1024]);
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void garbageTokensFailTheAuthenticationAndCloseTheConnection(Target target) {
        SecuredBroker b = on(target);
        for (String mechanism : List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")) {
            try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl")) {
                handshake(c, mechanism);
                SaslAuthenticateResponse r = c.exchange(new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData()
                        .setAuthBytes(new byte[] {(byte) 0xde, (byte) 0xad, 0, 1, 2})).build((short) 2));
                assertEquals(Errors.SASL_AUTHENTICATION_FAILED, Errors.forCode(r.data().errorCode()), mechanism);
                assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)), mechanism);
            }
        }
        // and the broker serves everyone else as before
        try (Admin admin = SecuredBroker.admin(b.sasl(b.saslPlaintextPort, "PLAIN", SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD))) {
            assertFalse(Clients.get(admin.describeCluster().nodes()).isEmpty());
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void saslRequestsOnAPlaintextListenerAreIllegal(Target target) {
        SecuredBroker b = on(target);
        try (RawKafkaConnection c = RawKafkaConnection.open(b.broker)) {
            SaslHandshakeResponse h = c.exchange(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("PLAIN")).build((short) 1));
            assertEquals(Errors.ILLEGAL_SASL_STATE, Errors.forCode(h.data().errorCode()));
            SaslAuthenticateResponse a = c.exchange(new SaslAuthenticateRequest.Builder(
                    new SaslAuthenticateRequestData().setAuthBytes(new byte[1])).build((short) 2));
            assertEquals(Errors.ILLEGAL_SASL_STATE, Errors.forCode(a.data().errorCode()));
        }
    }

    private static void handshake(RawKafkaConnection c, String mechanism) {
        assertEquals(Errors.NONE, c.saslHandshake(mechanism), mechanism);
    }

    @ParameterizedTest
    @MethodSource("targets")
    void wrongTransportsAndBrokenHandshakesAreRefusedWhileOthersCarryOn(Target target) throws Exception {
        SecuredBroker b = on(target);
        // a plaintext Kafka client on a TLS port
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", b.mtlsPort), 5000);
            s.setSoTimeout(10_000);
            ByteBuffer request = new ApiVersionsRequest.Builder().build((short) 3)
                    .serializeWithHeader(new org.apache.kafka.common.requests.RequestHeader(
                            org.apache.kafka.common.protocol.ApiKeys.API_VERSIONS, (short) 3, "raw", 1));
            ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining()).putInt(request.remaining()).put(request);
            s.getOutputStream().write(frame.array());
            s.getOutputStream().flush();
            assertTrue(closesWithoutAKafkaAnswer(s.getInputStream()), "plaintext client on a TLS port");
        }
        // a TLS client on a plaintext port
        Map<String, Object> tlsToPlaintext = new HashMap<>(b.trust());
        tlsToPlaintext.put("bootstrap.servers", b.broker.bootstrapServers());
        tlsToPlaintext.put("security.protocol", "SSL");
        tlsToPlaintext.put("request.timeout.ms", "3000");
        tlsToPlaintext.put("default.api.timeout.ms", "5000");
        try (Admin admin = Admin.create(tlsToPlaintext)) {
            assertThrows(ExecutionException.class, () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
        }
        // a TLS handshake cut short
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("127.0.0.1", b.securePort);
        engine.setUseClientMode(true);
        ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), hello);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", b.securePort), 5000);
            s.getOutputStream().write(hello.array(), 0, Math.min(hello.position(), 40));
            s.getOutputStream().flush();
        }
        // a client without a certificate, and one with a certificate of another CA
        assertInstanceOf(SslAuthenticationException.class, adminFailure(b.mtls(null)));
        TestPki stranger = TestPki.create("stranger");
        try {
            Map<String, Object> strangerCert = b.mtls(stranger.client("eve", "CN=Eve,O=Elsewhere"));
            assertInstanceOf(SslAuthenticationException.class, adminFailure(strangerCert));
        } finally {
            stranger.delete();
        }
        // everyone else carries on
        try (Admin admin = SecuredBroker.admin(b.sasl(b.securePort, "SCRAM-SHA-512", BOB, BOB_PASSWORD))) {
            assertFalse(Clients.get(admin.describeCluster().nodes()).isEmpty());
        }
        try (Admin admin = SecuredBroker.admin(b.mtls(b.pki.client("alice", "CN=Alice,O=Weir")))) {
            assertFalse(Clients.get(admin.describeCluster().nodes()).isEmpty());
        }
        assertTrue(b.broker.isAlive());
    }

    private static Throwable adminFailure(Map<String, Object> security) {
        try (Admin admin = SecuredBroker.admin(security)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            return e.getCause();
        }
    }

    /** True when the peer closes the connection; TLS alert bytes may come first, a Kafka frame may not. */
    private static boolean closesWithoutAKafkaAnswer(InputStream in) throws IOException {
        byte[] buf = new byte[4096];
        int total = 0;
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return true;
                }
                if (total == 0 && n > 0 && buf[0] != 0x15 && buf[0] != 0x16) {
                    throw new AssertionError("expected no answer or a TLS alert, got a byte " + buf[0]);
                }
                total += n;
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    /**
     * Weir's log: one line per refused authentication, naming the client's address and the user it
     * claimed, never a password, and no stack trace for these expected failures.
     */
    @org.junit.jupiter.api.Test
    void theGatewayLogsOneLinePerRefusalAndNoSecret() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Target.isSelected(Target.WEIR), "the gateway's own log");
        SecuredBroker b = on(Target.WEIR);
        String plainUser = "log-plain-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        String scramUser = "log-scram-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        String secret = "never-logged-" + java.util.UUID.randomUUID();
        authenticationFailure(b.sasl(b.saslPlaintextPort, "PLAIN", plainUser, secret));
        authenticationFailure(b.sasl(b.securePort, "SCRAM-SHA-512", scramUser, secret));
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "raw-sasl")) {
            c.exchange(new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("GSSAPI"))
                    .build((short) 1));
        }
        Await.until(Duration.ofSeconds(10), "the refusals in the log", () -> log(b).contains("user " + scramUser));
        String log = log(b);
        assertEquals(1, count(log, "user " + plainUser + ", mechanism PLAIN"), log);
        assertEquals(1, count(log, "user " + scramUser + ", mechanism SCRAM-SHA-512"), log);
        assertTrue(log.contains("Failed authentication with 127.0.0.1 on listener SASL_PLAINTEXT: unsupported SASL "
                + "mechanism GSSAPI"), log);
        for (String password : List.of(secret, SecuredBroker.ALICE_PASSWORD, SecuredBroker.ADMIN_PASSWORD, BOB_PASSWORD,
                CAROL_PASSWORD, TestPki.PASSWORD, "wrong-secret")) {
            assertFalse(log.contains(password), "a password in the log: " + password);
        }
        assertFalse(log.contains("\tat "), "a stack trace in the log:\n" + log);
    }

    private static String log(SecuredBroker b) {
        try {
            return java.nio.file.Files.readString(b.broker.logFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    // ---- re-authentication (KIP-368) ----

    @ParameterizedTest
    @MethodSource("targets")
    void sessionsLastConnectionsMaxReauthMsAndAnExpiredOneIsClosed(Target target) throws Exception {
        SecuredBroker b = on(target);
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.reauthPort, "raw-reauth")) {
            long lifetime = plainAuthenticate(c, SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD);
            assertEquals(SecuredBroker.REAUTH_MS, lifetime, "session_lifetime_ms");
            // re-authenticating on the same connection renews the session
            assertEquals(SecuredBroker.REAUTH_MS, plainAuthenticate(c, SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD));
            MetadataResponse served = c.exchange(new MetadataRequest.Builder(new MetadataRequestData().setTopics(List.of()))
                    .build((short) 12));
            assertTrue(served.errorCounts().isEmpty());
            // ...but not as someone else (and, as Kafka, not again within a second)
            long second = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1100);
            Await.until(Duration.ofSeconds(10), "a second since the re-authentication", () -> System.nanoTime() - second > 0);
            SaslAuthenticateResponse other = c.authenticatePlain(SecuredBroker.ADMIN, SecuredBroker.ADMIN_PASSWORD);
            assertEquals(Errors.SASL_AUTHENTICATION_FAILED, Errors.forCode(other.data().errorCode()));
            assertEquals("Cannot change principals during re-authentication from User.alice: User.admin",
                    other.data().errorMessage());
        }
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.reauthPort, "raw-reauth")) {
            plainAuthenticate(c, SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD);
            long expired = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SecuredBroker.REAUTH_MS + 500);
            Await.until(Duration.ofSeconds(10), "the session lifetime to pass", () -> System.nanoTime() - expired > 0);
            c.send(new MetadataRequest.Builder(new MetadataRequestData().setTopics(List.of())).build((short) 12));
            assertTrue(c.closedByBrokerWithin(Duration.ofSeconds(10)), "a request after the session expired");
        }
    }

    private static long plainAuthenticate(RawKafkaConnection c, String user, String password) {
        SaslAuthenticateResponse r = c.authenticatePlain(user, password);
        assertEquals(Errors.NONE, Errors.forCode(r.data().errorCode()), r.data().errorMessage());
        return r.data().sessionLifetimeMs();
    }

    @ParameterizedTest
    @MethodSource("targets")
    void aProducerReauthenticatesAsItGoesAndLosesNothing(Target target) {
        SecuredBroker b = on(target);
        String topic = Clients.uniqueTopic("reauth");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        Map<String, Object> security = b.sasl(b.reauthPort, "PLAIN", SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD);
        Map<String, Object> producerProps = new HashMap<>(security);
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        long acked = 0;
        double reauthentications;
        try (KafkaProducer<String, String> producer = Clients.producer(b.broker, producerProps)) {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * SecuredBroker.REAUTH_MS + 1000);
            int i = 0;
            while (System.nanoTime() - until < 0) {
                List<Future<RecordMetadata>> batch = new ArrayList<>();
                for (int j = 0; j < 50; j++, i++) {
                    batch.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
                }
                batch.forEach(Clients::get);
                acked += batch.size();
            }
            reauthentications = metric(producer.metrics(), "successful-reauthentication-total");
        }
        assertTrue(reauthentications >= 2, "the producer re-authenticated " + reauthentications + " times");
        try (KafkaConsumer<String, String> consumer = Clients.consumer(b.broker, security)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            List<ConsumerRecord<String, String>> read = Clients.readToEnd(consumer, List.of(tp));
            assertEquals(acked, read.size(), "every acknowledged record, once");
            assertEquals(acked, read.stream().map(ConsumerRecord::key).distinct().count());
        }
    }

    private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
        return metrics.entrySet().stream().filter(e -> e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    // ---- SCRAM users, as Kafka manages them ----

    @ParameterizedTest
    @MethodSource("targets")
    void scramCredentialsAreDescribedAndAlteredAsKafkaDoes(Target target) throws Exception {
        SecuredBroker b = on(target);
        try (Admin admin = Clients.admin(b.broker)) {
            Map<String, UserScramCredentialsDescription> all = Clients.get(admin.describeUserScramCredentials().all());
            assertEquals(List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)),
                    all.get(BOB).credentialInfos());
            ExecutionException unknown = assertThrows(ExecutionException.class,
                    () -> admin.describeUserScramCredentials(List.of("nobody")).description("nobody").get());
            assertInstanceOf(ResourceNotFoundException.class, unknown.getCause());
            assertEquals("Attempt to describe a user credential that does not exist: nobody", unknown.getCause().getMessage());

            String dave = "dave-" + target;
            List<UserScramCredentialAlteration> bad = List.of(
                    new UserScramCredentialUpsertion("few-" + target, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 1024), "p"),
                    new UserScramCredentialDeletion("ghost-" + target, ScramMechanism.SCRAM_SHA_256),
                    new UserScramCredentialUpsertion(dave, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), "d1"),
                    new UserScramCredentialUpsertion(dave, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "d2"));
            Map<String, org.apache.kafka.common.KafkaFuture<Void>> results = admin.alterUserScramCredentials(bad).values();
            assertFailure(results.get("few-" + target), UnacceptableCredentialException.class, "Too few iterations");
            assertFailure(results.get("ghost-" + target), ResourceNotFoundException.class,
                    "Attempt to delete a user credential that does not exist");
            assertFailure(results.get(dave), DuplicateResourceException.class,
                    "A user credential cannot be altered twice in the same request");
            Clients.get(admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(dave,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), "dave-secret"))).all());
            // Kafka's broker describes from its metadata image, a moment behind the controller's answer.
            Await.until(Duration.ofSeconds(30), dave + " described with its credential", () -> {
                try {
                    return List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192)).equals(
                            admin.describeUserScramCredentials(List.of(dave)).description(dave).get().credentialInfos());
                } catch (ExecutionException | InterruptedException e) {
                    return false;
                }
            });
            Clients.get(admin.alterUserScramCredentials(List.of(
                    new UserScramCredentialDeletion(dave, ScramMechanism.SCRAM_SHA_256))).all());
            Await.until(Duration.ofSeconds(30), dave + " gone", () -> {
                try {
                    admin.describeUserScramCredentials(List.of(dave)).description(dave).get();
                    return false;
                } catch (ExecutionException e) {
                    assertInstanceOf(ResourceNotFoundException.class, e.getCause());
                    return true;
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    private static void assertFailure(org.apache.kafka.common.KafkaFuture<Void> f, Class<? extends Throwable> type,
                                      String message) {
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(type, e.getCause());
        assertEquals(message, e.getCause().getMessage());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void kafkaCliToolsManageScramUsersAndConnectWithACommandConfig(Target target) {
        SecuredBroker b = on(target);
        String erin = "erin-" + target;
        ToolRunner.succeedAgainst(b.broker, "org.apache.kafka.tools.ConfigCommand", "--alter", "--entity-type", "users",
                "--entity-name", erin, "--add-config", "SCRAM-SHA-256=[iterations=8192,password=erin-secret]");
        // Kafka's broker describes from its metadata image, a moment behind the alteration.
        Await.until(Duration.ofSeconds(60), erin + " described by kafka-configs", () -> ToolRunner.succeedAgainst(
                b.broker, "org.apache.kafka.tools.ConfigCommand", "--describe", "--entity-type", "users",
                "--entity-name", erin).stdout().contains("SCRAM-SHA-256=iterations=8192"));
        String topic = Clients.uniqueTopic("cli-secure");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        Map<String, Object> security = b.sasl(b.securePort, "SCRAM-SHA-256", erin, "erin-secret");
        Await.until(Duration.ofSeconds(30), erin + " authenticates", () -> {
            try (Admin admin = SecuredBroker.admin(security)) {
                admin.describeCluster().nodes().get();
                return true;
            } catch (Exception e) {
                return false;
            }
        });
        ProcessResult listed = ToolRunner.run("org.apache.kafka.tools.TopicCommand", List.of("--bootstrap-server",
                b.bootstrap(b.securePort), "--command-config", b.propertiesFile("erin", security).toString(), "--list"))
                .assertSucceeded();
        assertTrue(listed.stdoutLines().contains(topic), listed.stdout());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void oldClientsConnectOverSaslSslAndSaslPlaintext(Target target) {
        SecuredBroker b = on(target);
        for (String version : OldClientRunner.versions()) {
            Map<String, Map<String, Object>> listeners = Map.of(
                    "scram512-" + version, b.sasl(b.securePort, "SCRAM-SHA-512", BOB, BOB_PASSWORD),
                    "plain-" + version, b.sasl(b.saslPlaintextPort, "PLAIN", SecuredBroker.ALICE, SecuredBroker.ALICE_PASSWORD),
                    "scram256-" + version, b.sasl(b.saslPlaintextPort, "SCRAM-SHA-256", CAROL, CAROL_PASSWORD),
                    "mtls-" + version, b.mtls(b.pki.client("alice", "CN=Alice,O=Weir")));
            listeners.forEach((name, security) -> {
                String topic = Clients.uniqueTopic("old-secure-" + name.replace('.', '-'));
                Clients.createTopics(b.broker, Clients.topic(topic, 1));
                ProcessResult r = OldClientRunner.run(version, dev.weir.compat.oldclient.OldClientSecureChain.class,
                        List.of((String) security.get("bootstrap.servers"), topic, "25",
                                b.propertiesFile(name, security).toString())).assertSucceeded();
                assertTrue(r.stdoutLines().contains("committed\t25") && r.stdoutLines().contains("consumed\t25"),
                        name + ": " + r.stdout());
            });
        }
    }

    /**
     * kcat over SASL_SSL and mutual TLS. The kcat of this machine's Debian (librdkafka 2.0.2) sends
     * a SCRAM client-final nonce that Kafka 4.x refuses (librdkafka before 2.6.1 appends the client
     * nonce twice, #4895; Kafka 4 checks it as RFC 5802 says): its SCRAM fails on both brokers with
     * the same answer, which is checked too; its PLAIN over TLS carries the records.
     */
    @ParameterizedTest
    @MethodSource("targets")
    void kcatConnectsOverSaslSslAndMutualTls(Target target) {
        SecuredBroker b = on(target);
        String topic = Clients.uniqueTopic("kcat-secure");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        List<String> tls = List.of("-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + b.pki.caPem());
        List<String> produce = new ArrayList<>(tls);
        produce.addAll(List.of("-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=" + SecuredBroker.ALICE,
                "-X", "sasl.password=" + SecuredBroker.ALICE_PASSWORD, "-P", "-t", topic, "-p", "0", "-K", ":"));
        Kcat.run(b.bootstrap(b.securePort), produce, "a:1\nb:2\nc:3\n").assertSucceeded();
        TestPki.Identity alice = b.pki.client("alice", "CN=Alice,O=Weir");
        ProcessResult consumed = Kcat.run(b.bootstrap(b.mtlsPort), List.of("-X", "security.protocol=SSL",
                "-X", "ssl.ca.location=" + b.pki.caPem(), "-X", "ssl.certificate.location=" + alice.certificatePem(),
                "-X", "ssl.key.location=" + alice.keyPem(), "-C", "-t", topic, "-p", "0", "-o", "beginning", "-c", "3",
                "-e", "-f", "%k=%s\\n"), "").assertSucceeded();
        assertEquals(List.of("a=1", "b=2", "c=3"), consumed.stdoutLines());

        List<String> scram = new ArrayList<>(tls);
        scram.addAll(List.of("-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=" + BOB,
                "-X", "sasl.password=" + BOB_PASSWORD, "-L"));
        ProcessResult refused = Kcat.run(b.bootstrap(b.securePort), scram, "");
        assertTrue(refused.exitCode() != 0 && refused.stderr().contains("SASL authentication error: Authentication failed "
                + "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"), refused.stderr());
    }

    /**
     * KafkaJS, a JavaScript client with SASL and SCRAM of its own, over SASL_SSL with SCRAM-SHA-512
     * and SCRAM-SHA-256: idempotent produce, then group consumption (the SCRAM client kcat here
     * cannot be, see above).
     */
    @ParameterizedTest
    @MethodSource("targets")
    void kafkaJsConnectsOverSaslSslWithScram(Target target) {
        SecuredBroker b = on(target);
        for (String[] user : List.of(new String[] {"SCRAM-SHA-512", BOB, BOB_PASSWORD},
                new String[] {"SCRAM-SHA-256", CAROL, CAROL_PASSWORD})) {
            String topic = Clients.uniqueTopic("kafkajs-" + user[0].toLowerCase(java.util.Locale.ROOT));
            Clients.createTopics(b.broker, Clients.topic(topic, 2));
            ProcessResult r = NodeClients.run("secure-roundtrip.js", List.of(b.bootstrap(b.securePort), topic, "30",
                    user[0], user[1], user[2], b.pki.caPem().toString())).assertSucceeded();
            assertEquals(List.of("produced\t30", "consumed\t30"), r.stdoutLines(), user[0] + ": " + r.stderr());
        }
    }

    // ---- the authenticated user is the one quotas apply to ----

    @ParameterizedTest
    @MethodSource("targets")
    void aUserQuotaAppliesToTheCertificatesMappedPrincipal(Target target) {
        SecuredBroker b = on(target);
        String topic = Clients.uniqueTopic("quota-user");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        // CN=Quinn,O=Weir maps to "quinn" by ssl.principal.mapping.rules
        org.apache.kafka.common.quota.ClientQuotaEntity quinn = new org.apache.kafka.common.quota.ClientQuotaEntity(
                Map.of(org.apache.kafka.common.quota.ClientQuotaEntity.USER, "quinn"));
        try (Admin admin = Clients.admin(b.broker)) {
            Clients.get(admin.alterClientQuotas(List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration(quinn,
                    List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration.Op("producer_byte_rate", 10240.0))))).all());
        }
        Map<String, Object> producerProps = new HashMap<>(b.mtls(b.pki.client("quinn", "CN=Quinn,O=Weir")));
        double throttled = 0;
        try (KafkaProducer<String, String> producer = Clients.producer(b.broker, producerProps)) {
            String value = "x".repeat(1000);
            // Kafka applies a new quota within its quota callback's refresh; send until throttled.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (throttled == 0 && System.nanoTime() - deadline < 0) {
                List<Future<RecordMetadata>> batch = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    batch.add(producer.send(new ProducerRecord<>(topic, value)));
                }
                batch.forEach(Clients::get);
                throttled = metric(producer.metrics(), "produce-throttle-time-max");
            }
        } finally {
            try (Admin admin = Clients.admin(b.broker)) {
                Clients.get(admin.alterClientQuotas(List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration(quinn,
                        List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration.Op("producer_byte_rate", null))))).all());
            }
        }
        assertTrue(throttled > 0, "the producer authenticated as CN=Quinn was throttled by user quinn's quota");
    }
}
