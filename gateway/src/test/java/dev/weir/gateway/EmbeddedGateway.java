package dev.weir.gateway;

import dev.weir.gateway.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A gateway started in this JVM on a free port over a temporary directory, for module tests. */
final class EmbeddedGateway implements AutoCloseable {
    final Gateway gateway;

    EmbeddedGateway(Path dataDir, String... settings) throws InterruptedException {
        List<String> args = new ArrayList<>(List.of("--set", "listeners=PLAINTEXT://127.0.0.1:0",
                "--set", "log.dir=" + dataDir, "--set", "storage.sync=false", "--set", "metrics.jmx.enable=false"));
        for (String s : settings) {
            args.add("--set");
            args.add(s);
        }
        gateway = Gateway.start(ConfigLoader.load(args.toArray(String[]::new), Map.of()));
    }

    String bootstrap() {
        return "127.0.0.1:" + gateway.port();
    }

    @Override
    public void close() {
        gateway.close();
    }
}
