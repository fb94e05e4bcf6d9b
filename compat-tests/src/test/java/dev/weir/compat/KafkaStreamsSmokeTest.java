package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kafka Streams' own smoke test (StreamsSmokeTest from the kafka-streams test jar, as Kafka's system
 * tests run it): a Streams application with aggregations, windows, suppression and joins processes
 * what the driver generates, and the driver verifies every result. Against Weir, in both
 * processing guarantees; exactly_once_v2 runs on Weir's transactions.
 */
class KafkaStreamsSmokeTest {
    private static final String MAIN = "org.apache.kafka.streams.tests.StreamsSmokeTest";
    /** The topics Kafka's streams_smoke_test.py creates before starting; "data" has 5 partitions there too. */
    private static final List<String> TOPICS = List.of("data", "echo", "min", "min-suppressed", "min-raw", "max", "sum",
            "sws-raw", "sws-suppressed", "dif", "cnt", "avg", "wcnt", "tagg", "fk");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"exactly_once_v2", "at_least_once"})
    void theStreamsSmokeTestPasses(String guarantee) throws Exception {
        try (Broker broker = Target.WEIR.start("streams-smoke-" + guarantee, Map.of())) {
            Clients.createTopics(broker, TOPICS.stream()
                    .map(t -> new NewTopic(t, t.equals("data") ? 5 : 1, (short) 1)).toArray(NewTopic[]::new));
            Path dir = CompatPaths.createDirectories(CompatPaths.buildDir().resolve("streams-smoke-" + guarantee
                    + "-" + System.nanoTime()));
            Path props = dir.resolve("streams.properties");
            Files.writeString(props, "bootstrap.servers=" + broker.bootstrapServers() + "\n"
                    + "processing.guarantee=" + guarantee + "\n"
                    + "state.dir=" + dir.resolve("state") + "\n"
                    + "num.standby.replicas=0\nreplication.factor=1\n", StandardCharsets.UTF_8);
            Path processorLog = CompatPaths.newLogFile("streams-smoke-processor-" + guarantee, ".log");
            Process processor = ChildProcesses.start(command(List.of(props.toString(), "process")), processorLog);
            try {
                Await.until(Duration.ofSeconds(90), "the Streams application runs", () -> {
                    assertTrue(processor.isAlive(), "the Streams application died:\n" + ChildProcesses.tail(processorLog, 30));
                    return log(processorLog).contains("SMOKE-TEST-CLIENT-STARTED");
                });
                ProcessResult driver = ChildProcesses.run("streams-smoke-driver-" + guarantee,
                        command(List.of(props.toString(), "run")), "", Duration.ofMinutes(6));
                assertTrue(driver.stdoutLines().contains("SUCCESS"), driver.describe("the driver's verification failed")
                        + "\nprocessor:\n" + ChildProcesses.tail(processorLog, 30));
                assertTrue(!log(processorLog).contains("SMOKE-TEST-CLIENT-EXCEPTION"),
                        "the Streams application hit an exception:\n" + ChildProcesses.tail(processorLog, 40));
            } finally {
                processor.destroy();
                if (!processor.waitFor(30, TimeUnit.SECONDS)) {
                    processor.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            assertEquals(List.of(), log(processorLog).lines().filter(l -> l.contains("SMOKE-TEST-CLIENT-EXCEPTION"))
                    .collect(Collectors.toList()), "no exception while the Streams application ran or stopped");
        }
    }

    private static List<String> command(List<String> args) {
        Path jars = CompatPaths.buildDir().resolve("streams-" + System.getProperty("weir.compat.streams.version", "4.3.1"));
        String classpath;
        try (Stream<Path> files = Files.list(jars)) {
            classpath = files.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString)
                    .collect(Collectors.joining(File.pathSeparator));
        } catch (IOException e) {
            throw new UncheckedIOException("no Kafka Streams jars in " + jars
                    + " (run the tests through Maven: generate-test-resources copies them)", e);
        }
        return ChildProcesses.javaCommand(List.of("-Xmx512m", "-XX:+UseSerialGC"), classpath, MAIN, new ArrayList<>(args));
    }

    private static String log(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }
}
