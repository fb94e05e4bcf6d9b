package dev.weir.compat;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The broker a scenario runs against. The system property {@code weir.compat.target} selects
 * {@code weir} (the default), {@code kafka} (to check the tests themselves against Apache Kafka 4.4)
 * or {@code both}.
 */
public enum Target {
    WEIR {
        @Override
        public Broker start(String name, Map<String, String> settings) {
            return GatewayProcess.start(name, settings);
        }
    },
    KAFKA {
        @Override
        public Broker start(String name, Map<String, String> settings) {
            return KafkaBrokerProcess.start(name, settings);
        }
    };

    public static final String PROPERTY = "weir.compat.target";

    /** Starts a new broker of this kind; {@code settings} use Apache Kafka's broker config names. */
    public abstract Broker start(String name, Map<String, String> settings);

    /** The targets selected for this run: a {@code @MethodSource} for target-parameterised tests. */
    public static Stream<Target> selected() {
        String choice = System.getProperty(PROPERTY, "weir").trim().toLowerCase(Locale.ROOT);
        return switch (choice) {
            case "", "weir" -> Stream.of(WEIR);
            case "kafka" -> Stream.of(KAFKA);
            case "both" -> Stream.of(WEIR, KAFKA);
            default -> throw new IllegalArgumentException(PROPERTY + " must be weir, kafka or both, not '" + choice + "'");
        };
    }

    public static boolean isSelected(Target target) {
        return selected().anyMatch(target::equals);
    }

    /** Every selected target combined with every value: a {@code @MethodSource} for two-parameter tests. */
    public static Stream<Arguments> selectedWith(Object... values) {
        return selected().flatMap(target -> Arrays.stream(values).map(value -> Arguments.of(target, value)));
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
