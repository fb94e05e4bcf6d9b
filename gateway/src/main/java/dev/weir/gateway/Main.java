package dev.weir.gateway;

import dev.weir.gateway.config.ConfigLoader;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.net.NettyPreload;
import dev.weir.storage.NativeLibrary;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar weir-gateway.jar [--config FILE] [--set key=value ...] [--add-scram SPEC ...]}; environment variables
 * {@code WEIR_<KEY>} override the file and are overridden by --set. A bad value stops the start
 * with a message naming the key. SIGTERM stops gracefully.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Native libraries load on two other cores while this one reads the configuration.
        NativeLibrary.preload();
        NettyPreload.start();
        GatewayConfig config;
        try {
            config = ConfigLoader.load(args, System.getenv());
        } catch (ConfigException e) {
            System.err.println("weir: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        AutoCloseable gateway;
        try {
            // a cluster node keeps its replica and restarts its gateway when the controller moves
            gateway = config.clustered() ? dev.weir.gateway.cluster.ClusterNode.start(config) : Gateway.start(config);
        } catch (Exception e) {
            // Not a static field: initialising logging must not delay the preloads above.
            Logger log = LoggerFactory.getLogger(Main.class);
            log.error("Weir gateway failed to start: {}", e.toString());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                gateway.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(Main.class).warn("Stopping failed: {}", e.toString());
            }
            stopped.countDown();
        }, "weir-shutdown"));
        stopped.await();
    }
}
