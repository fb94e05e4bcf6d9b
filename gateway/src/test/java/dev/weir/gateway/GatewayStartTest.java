package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.gateway.config.ConfigLoader;
import dev.weir.storage.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener is bound before the store opens; a start that fails in between gives the port back. */
class GatewayStartTest {

    @Test
    void aStartWhoseStoreCannotOpenReleasesTheBoundPort(@TempDir Path dir) throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("data"), "a file where the data directory should be");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        assertThrows(StorageException.class, () -> Gateway.start(ConfigLoader.load(new String[] {
            "--set", "listeners=PLAINTEXT://127.0.0.1:" + port, "--set", "log.dir=" + notADirectory,
            "--set", "metrics.jmx.enable=false"}, Map.of())));
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertEquals(port, again.getLocalPort(), "the failed start closed its listener");
        }
    }

    @Test
    void aTakenPortFailsTheStartBeforeTheStoreIsCreated(@TempDir Path dir) throws IOException {
        Path dataDir = dir.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Gateway.start(ConfigLoader.load(
                    new String[] {"--set", "listeners=PLAINTEXT://127.0.0.1:" + taken.getLocalPort(),
                        "--set", "log.dir=" + dataDir, "--set", "metrics.jmx.enable=false"}, Map.of())));
            assertInstanceOf(BindException.class, e.getCause());
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
        assertFalse(Files.exists(dataDir), "no data directory was made for a gateway that could not listen");
    }
}
