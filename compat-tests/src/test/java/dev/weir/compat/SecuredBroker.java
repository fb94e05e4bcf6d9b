package dev.weir.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * A broker (Weir or Kafka 4.4, configured with the same keys) with a secured listener of each kind
 * beside the PLAINTEXT one the harness uses:
 * <ul>
 * <li>{@code SASL_PLAINTEXT}: PLAIN (users from the JAAS config), SCRAM-SHA-256 and SCRAM-SHA-512;</li>
 * <li>{@code SECURE}, a custom name mapped to SASL_SSL: SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN over
 * TLS (PKCS12 key store);</li>
 * <li>{@code MTLS}, a custom name mapped to SSL: client certificates required, key and trust
 * material inline as PEM, the principal the certificate's CN (ssl.principal.mapping.rules);</li>
 * <li>{@code REAUTH}: SASL_PLAINTEXT with PLAIN whose sessions last {@link #REAUTH_MS}.</li>
 * </ul>
 * The certificates are made at run time by {@link TestPki}.
 */
final class SecuredBroker implements AutoCloseable {
    static final String ADMIN = "admin";
    static final String ADMIN_PASSWORD = "admin-secret";
    static final String ALICE = "alice";
    static final String ALICE_PASSWORD = "alice-secret";
    static final long REAUTH_MS = 2000;
    private static final String PLAIN_USERS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "user_" + ADMIN + "=\"" + ADMIN_PASSWORD + "\" user_" + ALICE + "=\"" + ALICE_PASSWORD + "\";";
    private static final String SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule required;";

    final Broker broker;
    final TestPki pki;
    final int saslPlaintextPort;
    final int securePort;
    final int mtlsPort;
    final int reauthPort;

    private SecuredBroker(Target target, String name, Map<String, String> extra) {
        pki = TestPki.create(name + "-" + target);
        saslPlaintextPort = FreePorts.next();
        securePort = FreePorts.next();
        mtlsPort = FreePorts.next();
        reauthPort = FreePorts.next();
        TestPki.Identity server = pki.server();
        Map<String, String> s = new LinkedHashMap<>();
        s.put("listeners", "SASL_PLAINTEXT://127.0.0.1:" + saslPlaintextPort + ",SECURE://127.0.0.1:" + securePort
                + ",MTLS://127.0.0.1:" + mtlsPort + ",REAUTH://127.0.0.1:" + reauthPort);
        s.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,SECURE:SASL_SSL,MTLS:SSL,REAUTH:SASL_PLAINTEXT");
        s.put("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512");
        s.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_USERS);
        s.put("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config", SCRAM_MODULE);
        s.put("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config", SCRAM_MODULE);
        s.put("listener.name.secure.sasl.enabled.mechanisms", "SCRAM-SHA-512,SCRAM-SHA-256,PLAIN");
        s.put("listener.name.secure.plain.sasl.jaas.config", PLAIN_USERS);
        s.put("listener.name.secure.scram-sha-256.sasl.jaas.config", SCRAM_MODULE);
        s.put("listener.name.secure.scram-sha-512.sasl.jaas.config", SCRAM_MODULE);
        s.put("listener.name.reauth.sasl.enabled.mechanisms", "PLAIN");
        s.put("listener.name.reauth.plain.sasl.jaas.config", PLAIN_USERS);
        s.put("listener.name.reauth.plain.connections.max.reauth.ms", String.valueOf(REAUTH_MS));
        s.put("listener.name.secure.ssl.keystore.type", "PKCS12");
        s.put("listener.name.secure.ssl.keystore.location", server.keystore().toString());
        s.put("listener.name.secure.ssl.keystore.password", TestPki.PASSWORD);
        s.put("listener.name.secure.ssl.truststore.type", "PKCS12");
        s.put("listener.name.secure.ssl.truststore.location", pki.truststore().toString());
        s.put("listener.name.secure.ssl.truststore.password", TestPki.PASSWORD);
        s.put("listener.name.mtls.ssl.client.auth", "required");
        s.put("listener.name.mtls.ssl.keystore.type", "PEM");
        s.put("listener.name.mtls.ssl.keystore.certificate.chain", read(server.certificatePem()));
        s.put("listener.name.mtls.ssl.keystore.key", read(server.keyPem()));
        s.put("listener.name.mtls.ssl.truststore.type", "PEM");
        s.put("listener.name.mtls.ssl.truststore.certificates", read(pki.caPem()));
        s.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+),.*$/$1/L,DEFAULT");
        s.putAll(extra);
        Broker started;
        try {
            started = target.start(name, s);
        } catch (RuntimeException | Error e) {
            pki.delete();
            throw e;
        }
        broker = started;
    }

    static SecuredBroker start(Target target, String name) {
        return new SecuredBroker(target, name, Map.of());
    }

    /** With more settings, e.g. an authorizer. */
    static SecuredBroker start(Target target, String name, Map<String, String> extra) {
        return new SecuredBroker(target, name, extra);
    }

    String bootstrap(int port) {
        return "127.0.0.1:" + port;
    }

    /** Client settings for SASL on SASL_PLAINTEXT (or REAUTH) or SECURE, by port. */
    Map<String, Object> sasl(int port, String mechanism, String user, String password) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap(port));
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, port == securePort ? "SASL_SSL" : "SASL_PLAINTEXT");
        p.put(SaslConfigs.SASL_MECHANISM, mechanism);
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        p.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + user + "\" password=\"" + password + "\";");
        if (port == securePort) {
            p.putAll(trust());
        }
        return p;
    }

    /** Client settings for mutual TLS on MTLS with a certificate of {@code identity}; null: none. */
    Map<String, Object> mtls(TestPki.Identity identity) {
        Map<String, Object> p = new HashMap<>(trust());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap(mtlsPort));
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        if (identity != null) {
            p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
            p.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, identity.keystore().toString());
            p.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, TestPki.PASSWORD);
            p.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, TestPki.PASSWORD);
        }
        return p;
    }

    Map<String, Object> trust() {
        Map<String, Object> p = new HashMap<>();
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, pki.truststore().toString());
        p.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestPki.PASSWORD);
        return p;
    }

    /** An admin client with {@code settings} (a bootstrap and security), failing fast. */
    static Admin admin(Map<String, Object> settings) {
        Map<String, Object> p = new HashMap<>(settings);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "weir-compat-secure-admin");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        return Admin.create(p);
    }

    /**
     * Creates a SCRAM user through the PLAINTEXT listener, and waits until it can authenticate on
     * {@code port} (Kafka applies credentials through its metadata log, a moment later).
     */
    void addScramUser(String user, String password, ScramMechanism mechanism, int port) {
        try (Admin admin = Clients.admin(broker)) {
            Clients.get(admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(mechanism, 4096), password))).all());
        }
        Await.until(Duration.ofSeconds(30), user + " authenticates with " + mechanism, () -> {
            try (Admin admin = admin(sasl(port, mechanism.mechanismName(), user, password))) {
                admin.describeCluster().nodes().get();
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** A client properties file for Kafka's CLI tools (--command-config) and old clients. */
    Path propertiesFile(String name, Map<String, Object> settings) {
        Properties p = new Properties();
        settings.forEach((k, v) -> {
            if (!k.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                p.setProperty(k, String.valueOf(v));
            }
        });
        Path file = pki.dir().resolve(name + ".properties");
        try (var out = Files.newBufferedWriter(file)) {
            p.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String read(Path file) {
        try {
            return Files.readAllLines(file).stream().collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            broker.close();
        } finally {
            pki.delete();
        }
    }

    @Override
    public String toString() {
        return broker.toString();
    }
}
