package dev.weir.embedded;

import dev.weir.gateway.Gateway;
import dev.weir.gateway.config.ConfigLoader;
import dev.weir.gateway.config.GatewayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Weir broker inside the test's JVM: the real gateway (Netty server, handlers, LMDB store) on a
 * free port of 127.0.0.1, with its data in a directory of its own that {@link #close()} deletes.
 *
 * <pre>{@code
 * try (EmbeddedWeir weir = EmbeddedWeir.builder().config("num.partitions", "3").start()) {
 *     weir.createTopic("orders", 3);
 *     Map<String, Object> props = Map.of("bootstrap.servers", weir.bootstrapServers());
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #faults()} injects faults into the requests clients send and records every request.
 * {@link #restart()} and {@link #crash()} reopen the broker on the same data and port. Each
 * instance is independent of every other: parallel tests each start their own.
 *
 * <p>The gateway uses kafka-clients' protocol classes: the kafka-clients on the class path must be
 * the version Weir is built with (4.4); {@link #builder()} says so when it is not.
 */
public final class EmbeddedWeir implements AutoCloseable {
    /** Defaults for a broker in a test, each overridable with {@link Builder#config}. */
    static final Map<String, String> TEST_DEFAULTS = Map.of(
            // one sequencer, one LMDB environment: the quickest start, enough for a test's traffic
            GatewayConfig.STORAGE_CONTAINERS, "1",
            // crash() is a process crash, which unsynced commits survive (the OS keeps them); power loss is not simulated
            GatewayConfig.STORAGE_SYNC, "false",
            GatewayConfig.CACHE_MAX_BYTES, Long.toString(32L << 20),
            GatewayConfig.NUM_NETWORK_THREADS, "2",
            // MBeans are per JVM: parallel brokers would clash on the names
            GatewayConfig.METRICS_JMX_ENABLE, "false",
            // as Kafka's own test harnesses: a group's first member need not wait 3 s
            GatewayConfig.GROUP_INITIAL_REBALANCE_DELAY_MS, "0");

    private static final String HOST = "127.0.0.1";

    private final Map<String, String> settings;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private final boolean ownsListeners;
    private final Faults faults = new Faults();
    private Gateway gateway;
    private int port;
    private boolean closed;

    private EmbeddedWeir(Builder b) {
        settings = new LinkedHashMap<>(TEST_DEFAULTS);
        settings.putAll(b.config);
        ownsListeners = !b.config.containsKey(GatewayConfig.LISTENERS);
        port = b.port;
        try {
            if (b.dataDir != null) {
                dataDir = Files.createDirectories(b.dataDir);
                ownsDataDir = false;
            } else {
                Path shm = Path.of("/dev/shm");
                dataDir = b.memoryBacked && Files.isDirectory(shm) && Files.isWritable(shm)
                        ? Files.createTempDirectory(shm, "weir-embedded-") : Files.createTempDirectory("weir-embedded-");
                ownsDataDir = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory", e);
        }
        try {
            config(); // a wrong key or value fails here, naming the key, as the standalone broker's start
        } catch (RuntimeException e) {
            deleteDataDir();
            throw e;
        }
    }

    public static Builder builder() {
        KafkaClientsCheck.require();
        return new Builder();
    }

    /** A broker with the test defaults, started. */
    public static EmbeddedWeir startDefault() {
        return builder().start();
    }

    /** Starts the broker; returns once it answers on its port. */
    public synchronized EmbeddedWeir start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (gateway != null) {
            return this;
        }
        try {
            gateway = Gateway.start(config(), faults.hook);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        }
        // Restarts come back on the same port, so clients configured with it reconnect.
        port = gateway.port();
        return this;
    }

    /** host:port for a client's bootstrap.servers. */
    public synchronized String bootstrapServers() {
        requireRunning();
        return HOST + ":" + port;
    }

    /** The port the first listener is bound to; stays the same across restarts. */
    public synchronized int port() {
        requireRunning();
        return port;
    }

    /** Where the data lives. */
    public Path dataDir() {
        return dataDir;
    }

    /** The fault controls and the request log; they outlive restarts and crashes. */
    public Faults faults() {
        return faults;
    }

    /** The running gateway, for what this class does not cover. */
    public synchronized Gateway gateway() {
        requireRunning();
        return gateway;
    }

    /** Creates a topic with the broker's defaults for its configs. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /**
     * Creates a topic as CreateTopics does, with its checks: fails with the exception a client's
     * Admin would get (e.g. {@link org.apache.kafka.common.errors.TopicExistsException},
     * {@link org.apache.kafka.common.errors.InvalidConfigurationException}). Goes straight to the
     * handler, so faults and the request log do not see it.
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        TopicCreation.create(gateway(), name, partitions, configs);
    }

    /** Graceful stop (in-flight work finishes, queued writes commit), then a start on the same data and port. */
    public synchronized void restart() {
        requireRunning();
        Gateway g = gateway;
        gateway = null;
        g.close();
        start();
    }

    /**
     * A crash, as {@code kill -9} of a standalone broker, then a start on the same data and port:
     * connections are cut, queued writes are dropped, answers not yet sent are lost, nothing is
     * flushed beyond what was already acknowledged. Every acknowledged record (acks=1 or all) is
     * there after it.
     */
    public synchronized void crash() {
        requireRunning();
        Gateway g = gateway;
        gateway = null;
        g.halt();
        start();
    }

    /** Stops the broker and deletes its data directory (unless the builder was given one). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (gateway != null) {
                gateway.close();
                gateway = null;
            }
        } finally {
            if (ownsDataDir) {
                deleteDataDir();
            }
        }
    }

    private void requireRunning() {
        if (gateway == null) {
            throw new IllegalStateException(closed ? "closed" : "not started");
        }
    }

    private GatewayConfig config() {
        Map<String, String> values = new LinkedHashMap<>(settings);
        if (ownsListeners) {
            values.put(GatewayConfig.LISTENERS, "PLAINTEXT://" + HOST + ":" + port);
        }
        values.put(GatewayConfig.LOG_DIR, dataDir.toString());
        List<String> args = new ArrayList<>();
        values.forEach((k, v) -> {
            args.add("--set");
            args.add(k + "=" + v);
        });
        return ConfigLoader.load(args.toArray(String[]::new), Map.of());
    }

    private void deleteDataDir() {
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a temporary directory: left behind at worst
                }
            });
        } catch (IOException e) {
            // already gone
        }
    }

    /** How an {@link EmbeddedWeir} is set up; nothing starts until {@link #start()} or {@link #build()}. */
    public static final class Builder {
        private final Map<String, String> config = new LinkedHashMap<>();
        private Path dataDir;
        private boolean memoryBacked;
        private int port;

        private Builder() {
        }

        /**
         * Any key of the standalone broker's configuration (config/gateway.properties), validated as
         * there: an unknown key or a bad value fails {@link #build()} with a ConfigException naming it.
         */
        public Builder config(String key, String value) {
            config.put(key, value);
            return this;
        }

        public Builder config(Map<String, String> entries) {
            config.putAll(entries);
            return this;
        }

        /**
         * Answer as the broker of this Kafka release did (2.8, 3.0, 3.6, 3.9 or 4.0): only its APIs,
         * versions and features are advertised and served. The same as
         * {@code config("emulate.kafka.version", release)}.
         */
        public Builder emulateKafkaVersion(String release) {
            return config("emulate.kafka.version", release);
        }

        /** Data in a memory-backed directory (under /dev/shm when there is one, else a temporary directory). */
        public Builder memoryBacked() {
            memoryBacked = true;
            return this;
        }

        /** Data in this directory, which {@link EmbeddedWeir#close()} leaves in place (default: a fresh temporary one, deleted). */
        public Builder dataDir(Path dir) {
            dataDir = dir;
            return this;
        }

        /** The port to listen on; 0 (the default) takes a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** A broker, not started. */
        public EmbeddedWeir build() {
            return new EmbeddedWeir(this);
        }

        /** A broker, started. */
        public EmbeddedWeir start() {
            EmbeddedWeir weir = build();
            try {
                return weir.start();
            } catch (RuntimeException e) {
                weir.close();
                throw e;
            }
        }
    }
}
