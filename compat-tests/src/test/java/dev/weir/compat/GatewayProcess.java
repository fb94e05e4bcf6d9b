package dev.weir.compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Weir gateway, run from its shaded jar exactly as a user runs it:
 * {@code java -jar weir-gateway.jar --set listeners=... --set log.dir=... [--set key=value ...]}.
 */
public final class GatewayProcess extends BrokerProcess {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path jar;
    private final Map<String, String> settings;
    private final List<String> javaOptions;

    private GatewayProcess(String name, Map<String, String> settings, List<String> javaOptions) {
        super("weir-" + name, CompatPaths.newDataDir("weir-" + name), FreePorts.next());
        this.jar = requireJar();
        this.settings = new LinkedHashMap<>(settings);
        this.javaOptions = List.copyOf(javaOptions);
    }

    /** Starts a gateway on a free loopback port with a fresh data directory, and waits until it serves. */
    public static GatewayProcess start(String name, Map<String, String> settings) {
        return start(name, settings, List.of());
    }

    /** As {@link #start(String, Map)}, with options for the JVM ({@code -Dkey=value}, ...). */
    public static GatewayProcess start(String name, Map<String, String> settings, List<String> javaOptions) {
        GatewayProcess gateway = new GatewayProcess(name, settings, javaOptions);
        try {
            gateway.launch();
            return gateway;
        } catch (RuntimeException | Error e) {
            gateway.close();
            throw e;
        }
    }

    /** A gateway with its port and data directory chosen, not started: see {@link WeirCluster}. */
    static GatewayProcess prepare(String name, Map<String, String> settings) {
        return new GatewayProcess(name, settings, List.of());
    }

    /** Adds a setting before the process is spawned. */
    void set(String key, String value) {
        settings.put(key, value);
    }

    @Override
    public Target target() {
        return Target.WEIR;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    protected List<String> command() {
        List<String> command = new ArrayList<>(List.of(ChildProcesses.javaExecutable(), "-Xmx1g"));
        command.addAll(javaOptions);
        command.addAll(List.of("-jar", jar.toString(),
                "--set", "listeners=PLAINTEXT://" + HOST + ":" + port + extraListeners(settings),
                "--set", "log.dir=" + dataDir,
                // As the Kafka brokers of these tests: groups form at once rather than after 3 s.
                "--set", "group.initial.rebalance.delay.ms=0",
                // Consumer-protocol members learn of rebalances on their next heartbeat; both brokers
                // under test use the same short interval so group tests take seconds.
                "--set", "group.consumer.heartbeat.interval.ms=" + Brokers.CONSUMER_HEARTBEAT_INTERVAL_MS,
                // As the Kafka brokers of these tests: the shorter interval within the bounds groups are checked against.
                "--set", "group.consumer.min.heartbeat.interval.ms=" + Brokers.CONSUMER_HEARTBEAT_INTERVAL_MS));
        settings.forEach((key, value) -> {
            if (key.equals(EXTRA_LISTENERS)) {
                return;
            }
            command.add("--set");
            command.add(key.equals("listener.security.protocol.map")
                    ? key + "=PLAINTEXT:PLAINTEXT," + value : key + "=" + value);
        });
        return command;
    }

    @Override
    protected Duration startTimeout() {
        return START_TIMEOUT;
    }

    private static Path requireJar() {
        Path jar = CompatPaths.gatewayJar();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the gateway jar " + jar + " does not exist: build it first "
                    + "(mvn -pl gateway -am package, or run the whole reactor with mvn verify), "
                    + "or run only against Apache Kafka with -D" + Target.PROPERTY + "=kafka");
        }
        return jar;
    }
}
