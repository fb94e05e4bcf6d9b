package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.gateway.config.ConfigLoader;
import dev.weir.gateway.config.GatewayConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The cluster keys: the shipped three-node files load, and every wrong value names its key. */
class ClusterConfigTest {
    private static final String VOTERS = "controller.quorum.voters=1@127.0.0.1:9192,2@127.0.0.1:9193,3@127.0.0.1:9194";
    private static final String NODES = "cluster.nodes=1@127.0.0.1:9092,2@127.0.0.1:9093,3@127.0.0.1:9094";

    @Test
    void theShippedNodeFilesDescribeOneClusterOfThree() {
        for (int id = 1; id <= 3; id++) {
            Path file = GatewayConfigTest.shippedConfig().resolveSibling("cluster").resolve("node" + id + ".properties");
            GatewayConfig c = ConfigLoader.load(new String[] {"--config", file.toString()}, Map.of());
            assertTrue(c.clustered());
            assertEquals(id, c.getInt(GatewayConfig.NODE_ID));
            assertEquals(List.of(1, 2, 3), new ArrayList<>(c.voters().keySet()));
            assertEquals(9191 + id, c.voters().get(id).getPort());
            assertEquals(9091 + id, c.clusterNodes().get(id).getPort());
            assertEquals(3, c.getInt(GatewayConfig.STORAGE_CONTAINERS));
        }
    }

    @Test
    void withoutVotersTheGatewayIsOneNode() {
        assertFalse(ConfigLoader.load(new String[0], Map.of()).clustered());
    }

    @Test
    void eachWrongClusterValueStopsTheStartNamingItsKey() {
        assertRefused("controller.quorum.voters", "--set", "controller.quorum.voters=1@127.0.0.1");
        assertRefused("controller.quorum.voters", "--set", "controller.quorum.voters=1@h:1,1@h:2");
        assertRefused("controller.quorum.voters", "--set", VOTERS, "--set", NODES, "--set", "node.id=4",
                "--set", "storage.containers=3", "--set", "cluster.id=c");
        assertRefused("cluster.nodes", "--set", VOTERS, "--set", "cluster.nodes=1@127.0.0.1:9092",
                "--set", "storage.containers=3", "--set", "cluster.id=c");
        assertRefused("cluster.nodes", "--set", NODES);
        assertRefused("storage.containers", "--set", VOTERS, "--set", NODES, "--set", "cluster.id=c");
        assertRefused("cluster.id", "--set", VOTERS, "--set", NODES, "--set", "storage.containers=3");
        assertRefused("controller.quorum.election.timeout.ms", "--set", "controller.quorum.election.timeout.ms=10");
        assertRefused("message.max.bytes", "--set", VOTERS, "--set", NODES, "--set", "storage.containers=3",
                "--set", "cluster.id=c", "--set", "message.max.bytes=8388608");
    }

    private static void assertRefused(String key, String... args) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(args, Map.of()));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
