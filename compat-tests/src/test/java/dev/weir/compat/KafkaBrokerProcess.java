package dev.weir.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/**
 * A real Apache Kafka 4.4 broker, single node in KRaft combined mode, run as a child JVM from the
 * kafka_2.13 jars on the test class path. Storage is formatted once; restarts reuse it.
 */
public final class KafkaBrokerProcess extends BrokerProcess {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(120);

    private final int controllerPort;
    private final Map<String, String> settings;
    private final Path config;
    private final List<String> javaOptions;
    private boolean formatted;

    private KafkaBrokerProcess(String name, Map<String, String> settings, List<String> javaOptions) {
        super("kafka-" + name, CompatPaths.newDataDir("kafka-" + name), FreePorts.next());
        this.controllerPort = FreePorts.next();
        this.settings = settings;
        this.config = dataDir.resolve("server.properties");
        this.javaOptions = List.copyOf(javaOptions);
    }

    /** Formats storage, starts the broker on free loopback ports, and waits until it serves. */
    public static KafkaBrokerProcess start(String name, Map<String, String> settings) {
        return start(name, settings, List.of());
    }

    /** As {@link #start(String, Map)}, with options for the broker's JVM (not for the storage format run). */
    public static KafkaBrokerProcess start(String name, Map<String, String> settings, List<String> javaOptions) {
        KafkaBrokerProcess broker = new KafkaBrokerProcess(name, settings, javaOptions);
        try {
            broker.format();
            broker.launch();
            return broker;
        } catch (RuntimeException | Error e) {
            broker.close();
            throw e;
        }
    }

    @Override
    public Target target() {
        return Target.KAFKA;
    }

    @Override
    protected List<String> command() {
        List<String> jvm = new ArrayList<>(jvmArgs());
        jvm.addAll(javaOptions);
        return ChildProcesses.javaCommand(jvm, ChildProcesses.testClasspath(), "kafka.Kafka", List.of(config.toString()));
    }

    @Override
    protected Duration startTimeout() {
        return START_TIMEOUT;
    }

    private void format() {
        if (formatted) {
            return;
        }
        writeConfig();
        String clusterId = Uuid.randomUuid().toString();
        ChildProcesses.run(name + "-format",
                ChildProcesses.javaCommand(jvmArgs(), ChildProcesses.testClasspath(), "kafka.tools.StorageTool",
                        List.of("format", "--standalone", "-t", clusterId, "-c", config.toString())),
                "", FORMAT_TIMEOUT).assertSucceeded();
        formatted = true;
    }

    private List<String> jvmArgs() {
        return List.of("-Xmx512m", "-Xms512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + CompatPaths.testResource("kafka-broker-log4j2.properties"));
    }

    private void writeConfig() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
        String extra = extraListeners(settings);
        props.put("listeners", "PLAINTEXT://" + HOST + ":" + port + extra + ",CONTROLLER://" + HOST + ":" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port + extra);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", dataDir.resolve("logs").toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("group.consumer.min.heartbeat.interval.ms", String.valueOf(Brokers.CONSUMER_HEARTBEAT_INTERVAL_MS));
        props.put("group.consumer.heartbeat.interval.ms", String.valueOf(Brokers.CONSUMER_HEARTBEAT_INTERVAL_MS));
        settings.forEach((key, value) -> {
            if (key.equals("listener.security.protocol.map")) {
                props.put(key, "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT," + value);
            } else if (!key.equals(EXTRA_LISTENERS)) {
                props.put(key, value);
            }
        });
        String text = props.entrySet().stream()
                // Multi-line values (inline PEM) as the properties format writes them.
                .map(e -> e.getKey() + "=" + e.getValue().replace("\n", "\\n"))
                .collect(Collectors.joining("\n", "", "\n"));
        try {
            Files.writeString(config, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
