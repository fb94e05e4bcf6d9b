package dev.weir.compat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Brokers for a test class, one per target, started on first use.
 *
 * <p>{@link #shared()} gives brokers with default settings that every test class shares, because a
 * start costs seconds (about six for Apache Kafka); they stop when the test run ends (JUnit's root
 * store) or, failing that, when the JVM exits. {@link #dedicated} gives brokers with their own
 * settings that stop after the class. Tests on shared brokers use unique topic names.
 *
 * <p>Register as {@code @RegisterExtension static final Brokers brokers = Brokers.shared();}.
 */
public final class Brokers implements BeforeAllCallback, AfterAllCallback {
    /** group.consumer.heartbeat.interval.ms of every broker under test (Kafka's default is 5000). */
    static final int CONSUMER_HEARTBEAT_INTERVAL_MS = 500;
    private static final Map<Target, Broker> SHARED = new EnumMap<>(Target.class);
    private static boolean shutdownHookAdded;

    private final String name;
    private final Map<String, String> settings;
    private final boolean shared;
    private final Map<Target, Broker> dedicated = new EnumMap<>(Target.class);

    private Brokers(String name, Map<String, String> settings, boolean shared) {
        this.name = name;
        this.settings = Map.copyOf(settings);
        this.shared = shared;
    }

    public static Brokers shared() {
        return new Brokers("shared", Map.of(), true);
    }

    public static Brokers dedicated(String name, Map<String, String> settings) {
        return new Brokers(name, settings, false);
    }

    /** The running broker of this target, started now if this is its first use. */
    public Broker on(Target target) {
        if (shared) {
            synchronized (SHARED) {
                Broker broker = SHARED.computeIfAbsent(target, t -> t.start(name, settings));
                requireAlive(broker);
                return broker;
            }
        }
        synchronized (dedicated) {
            Broker broker = dedicated.computeIfAbsent(target, t -> t.start(name, settings));
            requireAlive(broker);
            return broker;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (shared) {
            // Closed by JUnit when the whole test plan has run (AutoCloseable values of the root store).
            context.getRoot().getStore(ExtensionContext.Namespace.create(Brokers.class))
                    .getOrComputeIfAbsent("shared-brokers", key -> new SharedBrokersCloser(), SharedBrokersCloser.class);
            synchronized (SHARED) {
                if (!shutdownHookAdded) {
                    Runtime.getRuntime().addShutdownHook(new Thread(Brokers::closeShared, "compat-shared-brokers"));
                    shutdownHookAdded = true;
                }
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (shared) {
            // A shared broker that died fails the class during which it died; the next class gets a new one.
            synchronized (SHARED) {
                for (Broker broker : SHARED.values().toArray(Broker[]::new)) {
                    if (!broker.isAlive()) {
                        SHARED.remove(broker.target());
                        broker.close();
                        throw new AssertionError("the shared broker " + broker + " exited during this class; see "
                                + broker.logFile());
                    }
                }
            }
            return;
        }
        synchronized (dedicated) {
            dedicated.values().forEach(Broker::close);
            dedicated.clear();
        }
    }

    private static void requireAlive(Broker broker) {
        if (!broker.isAlive()) {
            throw new AssertionError(broker + " is no longer running; see " + broker.logFile());
        }
    }

    private static void closeShared() {
        synchronized (SHARED) {
            SHARED.values().forEach(Broker::close);
            SHARED.clear();
        }
    }

    private static final class SharedBrokersCloser implements AutoCloseable {
        @Override
        public void close() {
            closeShared();
        }
    }
}
