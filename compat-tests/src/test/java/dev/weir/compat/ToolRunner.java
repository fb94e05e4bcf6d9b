package dev.weir.compat;

import java.time.Duration;
import java.util.List;

/**
 * Runs a Kafka CLI tool (a main class from kafka-tools or kafka_2.13) in its own JVM, as the
 * kafka-*.sh scripts would, with the test class path, the given standard input and a timeout.
 */
public final class ToolRunner {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

    private ToolRunner() {
    }

    /** Runs a tool against the broker ({@code --bootstrap-server} first, then {@code args}); it must succeed. */
    public static ProcessResult succeedAgainst(Broker broker, String mainClass, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        all.addAll(List.of(args));
        return run(mainClass, all).assertSucceeded();
    }

    public static ProcessResult run(String mainClass, List<String> args) {
        return run(mainClass, args, "", DEFAULT_TIMEOUT);
    }

    public static ProcessResult run(String mainClass, List<String> args, String stdin, Duration timeout) {
        List<String> jvmArgs = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + CompatPaths.testResource("kafka-tools-log4j2.properties"));
        String shortName = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        return ChildProcesses.run("tool-" + shortName,
                ChildProcesses.javaCommand(jvmArgs, ChildProcesses.testClasspath(), mainClass, args), stdin, timeout);
    }
}
