package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** (h) The JUnit 5 extension: lifetimes by field kind, parameters, and parallel test classes. */
class WeirBrokerExtensionTest {

    /** A static field: one broker for every test of the class. */
    @Nested
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class PerClass {
        // static members of inner classes: Java 16+
        @WeirBroker
        static EmbeddedWeir shared;
        static EmbeddedWeir first;

        @Test
        @Order(1)
        void firstTestCreatesATopic() {
            first = shared;
            shared.createTopic("per-class", 1);
        }

        @Test
        @Order(2)
        void secondTestSeesTheSameBroker(EmbeddedWeir parameter) {
            assertSame(first, shared);
            assertSame(shared, parameter, "a parameter gets the class's broker");
            assertThrows(TopicExistsException.class, () -> shared.createTopic("per-class", 1));
        }
    }

    /** An instance field: a fresh broker per test, closed after it. */
    @Nested
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class PerTest {
        @WeirBroker(config = {"num.partitions=3"}, memoryBacked = true)
        EmbeddedWeir weir;
        static final List<EmbeddedWeir> seen = new CopyOnWriteArrayList<>();
        static final List<Path> dirs = new CopyOnWriteArrayList<>();

        @BeforeEach
        void before(EmbeddedWeir parameter) {
            assertSame(weir, parameter, "lifecycle methods get the test's broker");
        }

        @Test
        @Order(1)
        void first() {
            seen.add(weir);
            dirs.add(weir.dataDir());
            weir.createTopic("per-test", -1);
        }

        @Test
        @Order(2)
        void second() throws Exception {
            seen.add(weir);
            assertNotSame(seen.get(0), weir);
            assertEquals(Set.of(), Set.copyOf(listTopics(weir)), "a fresh broker has none of the first test's topics");
            assertEquals(false, Files.exists(dirs.get(0)), "the first test's broker was closed and its data deleted");
            weir.createTopic("per-test", -1);
            try (Admin admin = admin(weir)) {
                assertEquals(3, admin.describeTopics(List.of("per-test")).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get("per-test").partitions().size(), "config from the annotation");
            }
        }
    }

    /** A parameter with its own settings gets its own broker. */
    @Test
    void parameterWithSettings(@WeirBroker(config = {"num.partitions=2"}) EmbeddedWeir weir) throws Exception {
        assertNotNull(weir.bootstrapServers());
        weir.createTopic("param", -1);
        try (Admin admin = admin(weir)) {
            assertEquals(2, admin.describeTopics(List.of("param")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("param").partitions().size());
        }
    }

    /**
     * Two test classes run at once (junit.jupiter.execution.parallel.enabled), each holding its
     * broker while waiting for the other: both pass only if they ran side by side with brokers of their own.
     */
    @Test
    void parallelClassesEachGetTheirOwnBroker() {
        ParallelBrokerA.ports.clear();
        ParallelBrokerA.BOTH_RUNNING.reset();
        // Its own launcher, apart from the one running this test: no listeners of that one's registered by service loading.
        Launcher launcher = LauncherFactory.create(LauncherConfig.builder()
                .enableTestExecutionListenerAutoRegistration(false).build());
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(ParallelBrokerA.class), selectClass(ParallelBrokerB.class))
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.mode.default", "same_thread")
                .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", "concurrent")
                .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "2")
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        StringBuilder failures = new StringBuilder();
        summary.getFailures().forEach(f -> failures.append(f.getTestIdentifier().getDisplayName()).append(": ")
                .append(f.getException()).append('\n'));
        assertEquals(0, summary.getTotalFailureCount(), failures.toString());
        assertEquals(4, summary.getTestsSucceededCount());
        assertEquals(2, ParallelBrokerA.ports.size(), "two brokers: " + ParallelBrokerA.ports);
        assertNotEquals(ParallelBrokerA.ports.get("A"), ParallelBrokerA.ports.get("B"));
    }

    static Admin admin(EmbeddedWeir weir) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, weir.bootstrapServers()));
    }

    static List<String> listTopics(EmbeddedWeir weir) throws Exception {
        try (Admin admin = admin(weir)) {
            return List.copyOf(admin.listTopics().names().get(30, TimeUnit.SECONDS));
        }
    }
}
