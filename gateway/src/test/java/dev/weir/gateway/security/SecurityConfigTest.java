package dev.weir.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.gateway.config.ConfigLoader;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.config.Listeners;
import dev.weir.gateway.config.ScramUser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

/** Listener, SASL and SCRAM settings as Kafka names and checks them; the pure logic, no sockets. */
class SecurityConfigTest {

    private static GatewayConfig load(String... sets) {
        String[] args = new String[sets.length * 2];
        for (int i = 0; i < sets.length; i++) {
            args[2 * i] = "--set";
            args[2 * i + 1] = sets[i];
        }
        return ConfigLoader.load(args, Map.of());
    }

    @Test
    void listenersMapNamesToProtocolsAndAdvertisePerListener() {
        GatewayConfig c = load("listeners=PLAINTEXT://127.0.0.1:9092,EXTERNAL://0.0.0.0:9094,sasl_ssl://:9095",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXTERNAL:SSL,SASL_SSL:SASL_SSL",
                "advertised.listeners=EXTERNAL://broker.example.com:19094");
        assertEquals(List.of(
                new Listeners.Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", 9092, "127.0.0.1", 9092),
                new Listeners.Listener("EXTERNAL", SecurityProtocol.SSL, "0.0.0.0", 9094, "broker.example.com", 19094),
                new Listeners.Listener("SASL_SSL", SecurityProtocol.SASL_SSL, "", 9095, "127.0.0.1", 9095)),
                c.listeners());
    }

    @Test
    void aWrongListenerSettingStopsTheStartNamingTheKey() {
        assertKey("listeners", () -> load("listeners=CUSTOM://127.0.0.1:9092"));
        assertKey("listeners", () -> load("listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9092"));
        assertKey("listeners", () -> load("listeners=PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093"));
        assertKey("advertised.listeners", () -> load("advertised.listeners=SSL://h:1"));
        assertKey("listener.security.protocol.map", () -> load("listener.security.protocol.map=X:TLS"));
        assertKey("listener.name.x.ssl.keystore.locaton", () -> load("listener.name.x.ssl.keystore.locaton=/k"));
    }

    private static void assertKey(String key, org.junit.jupiter.api.function.Executable start) {
        ConfigException e = assertThrows(ConfigException.class, start);
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void listenerPrefixedKeysOverrideAndMechanismKeysArePasswords() {
        GatewayConfig c = load("listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093",
                "ssl.keystore.type=JKS", "listener.name.sasl_ssl.ssl.keystore.type=PKCS12",
                "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required;",
                "listener.name.sasl_ssl.plain.connections.max.reauth.ms=5000", "ssl.keystore.location=");
        Map<String, Object> values = c.listenerValues("SASL_SSL");
        assertEquals("PKCS12", values.get("ssl.keystore.type"));
        assertEquals("JKS", c.listenerValues("PLAINTEXT").get("ssl.keystore.type"));
        assertTrue(values.get("plain.sasl.jaas.config") instanceof Password);
        assertEquals(5000L, values.get("plain.connections.max.reauth.ms"));
        assertFalse(values.containsKey("ssl.keystore.location"), "an empty value is unset");
    }

    @Test
    void aSaslListenerWithAMechanismWeirDoesNotServeStopsTheStart() {
        GatewayConfig c = load("listeners=PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9093");
        ConfigException e = assertThrows(ConfigException.class, () -> ListenerSecurity.of(c, null));
        assertTrue(e.getMessage().contains("sasl.enabled.mechanisms") && e.getMessage().contains("GSSAPI"), e.getMessage());
    }

    @Test
    void addScramTakesKafkaStorageSyntaxAndNeverRepeatsThePassword() {
        assertEquals(new ScramUser("SCRAM-SHA-256", "alice", "a,b=c", 8192),
                ScramUser.parse("SCRAM-SHA-256=[name=alice,password=\"a,b=c\",iterations=8192]"));
        assertEquals(4096, ScramUser.parse("SCRAM-SHA-512=[name=bob,password=pw]").iterations());
        assertFalse(ScramUser.parse("SCRAM-SHA-512=[name=bob,password=pw]").toString().contains("pw"));
        for (String bad : List.of("PLAIN=[name=a,password=secret1]", "SCRAM-SHA-256=[name=a]",
                "SCRAM-SHA-256=[name=a,password=secret1,iterations=100]", "SCRAM-SHA-256=name=a,password=secret1")) {
            ConfigException e = assertThrows(ConfigException.class, () -> ScramUser.parse(bad), bad);
            assertFalse(e.getMessage().contains("secret1"), e.getMessage());
        }
    }

    @Test
    void theUserAFailedAuthenticationClaimedIsReadWithoutThePassword() {
        assertEquals("alice", ConnectionAuth.claimedUser("PLAIN", "\0alice\0secret".getBytes(StandardCharsets.UTF_8)));
        assertEquals("alice", ConnectionAuth.claimedUser("PLAIN", "admin\0alice\0secret".getBytes(StandardCharsets.UTF_8)));
        assertNull(ConnectionAuth.claimedUser("PLAIN", "garbage".getBytes(StandardCharsets.UTF_8)));
        assertEquals("a,b", ConnectionAuth.claimedUser("SCRAM-SHA-256", "n,,n=a=2Cb,r=abc".getBytes(StandardCharsets.UTF_8)));
        assertNull(ConnectionAuth.claimedUser("SCRAM-SHA-256", new byte[] {1, 2, 3}));
    }
}
