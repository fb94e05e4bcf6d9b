package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.gateway.config.ConfigLoader;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.config.Listeners;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayConfigTest {

    static Path shippedConfig() {
        return Path.of(System.getProperty("weir.config.file", "../config/gateway.properties"));
    }

    @Test
    void everyKeyIsDocumentedInTheShippedFileWithItsDefault() throws IOException {
        String text = Files.readString(shippedConfig());
        Properties shipped = new Properties();
        shipped.load(Files.newBufferedReader(shippedConfig()));
        for (String key : GatewayConfig.keys()) {
            assertTrue(shipped.containsKey(key), key + " is missing from config/gateway.properties");
            int at = text.indexOf("\n" + key + "=");
            String before = text.substring(0, at);
            String lastLine = before.substring(before.lastIndexOf('\n', before.length() - 1) + 1);
            assertTrue(lastLine.startsWith("#"), key + " has no comment above it");
        }
        assertEquals(GatewayConfig.keys().size(), shipped.size(), "the file lists keys the gateway does not know");
    }

    @Test
    void noArgumentsMeansLocalhost9092AndDataInDotData() {
        GatewayConfig c = ConfigLoader.load(new String[0], Map.of());
        assertEquals(List.of(new Listeners.Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", 9092,
                "127.0.0.1", 9092)), c.listeners());
        assertEquals(Path.of("./data"), c.dataDir());
    }

    @Test
    void theShippedFileLoadsAsIs() {
        GatewayConfig c = ConfigLoader.load(new String[] {"--config", shippedConfig().toString()}, Map.of());
        assertEquals(1, c.getInt(GatewayConfig.NUM_PARTITIONS));
    }

    @Test
    void setBeatsEnvironmentWhichBeatsTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("g.properties");
        Files.writeString(file, "num.partitions=2\nnode.id=5\nmessage.max.bytes=1000\n");
        GatewayConfig c = ConfigLoader.load(new String[] {"--config", file.toString(), "--set", "num.partitions=4"},
                Map.of("WEIR_NUM_PARTITIONS", "3", "WEIR_NODE_ID", "7"));
        assertEquals(4, c.getInt(GatewayConfig.NUM_PARTITIONS));
        assertEquals(7, c.getInt(GatewayConfig.NODE_ID));
        assertEquals(1000, c.getInt(GatewayConfig.MESSAGE_MAX_BYTES));
    }

    @Test
    void onlyKnownKafkaReleasesCanBeEmulated() {
        assertEquals("", ConfigLoader.load(new String[0], Map.of()).getString(GatewayConfig.EMULATE_KAFKA_VERSION));
        for (String release : List.of("2.8", "3.0", "3.6", "3.9", "4.0")) {
            assertEquals(release, ConfigLoader.load(new String[] {"--set", "emulate.kafka.version=" + release}, Map.of())
                    .getString(GatewayConfig.EMULATE_KAFKA_VERSION));
        }
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(new String[] {"--set", "emulate.kafka.version=2.7"}, Map.of()));
        assertTrue(e.getMessage().contains("emulate.kafka.version"), e.getMessage());
    }

    @Test
    void aWrongValueStopsTheStartNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(new String[] {"--set", "num.partitions=0"}, Map.of()));
        assertTrue(e.getMessage().contains("num.partitions"), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(new String[0], Map.of("WEIR_STORAGE_SYNC", "perhaps")));
        assertTrue(e.getMessage().contains("storage.sync"), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(new String[] {"--set", "listeners=http://x:1"}, Map.of()));
        assertTrue(e.getMessage().contains("listeners"), e.getMessage());
        for (String wrong : List.of("127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000")) {
            e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(new String[] {"--set", "metrics.prometheus.listener=" + wrong}, Map.of()));
            assertTrue(e.getMessage().contains("metrics.prometheus.listener"), e.getMessage());
        }
    }

    @Test
    void thePrometheusEndpointIsOffUnlessGivenAnAddress() {
        assertEquals(null, ConfigLoader.load(new String[0], Map.of()).prometheusListener());
        java.net.InetSocketAddress a = ConfigLoader.load(new String[] {"--set", "metrics.prometheus.listener=:9404"},
                Map.of()).prometheusListener();
        assertEquals("0.0.0.0", a.getHostString());
        assertEquals(9404, a.getPort());
    }

    @Test
    void anUnknownKeyOrArgumentIsRefused() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(new String[] {"--set", "num.partitons=3"}, Map.of()));
        assertTrue(e.getMessage().contains("num.partitons"), e.getMessage());
        assertThrows(ConfigException.class, () -> ConfigLoader.load(new String[] {"--bogus"}, Map.of()));
    }
}
