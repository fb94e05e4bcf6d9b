package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** An embedded broker must not take over the logging of the tests it runs in. */
class LoggingTest {
    @Test
    void theTestsOwnLogbackConfigurationWins() {
        try (EmbeddedWeir weir = EmbeddedWeir.startDefault()) {
            // Weir's own configurator would leave this at INFO; the test's logback-test.xml says TRACE.
            assertTrue(LoggerFactory.getLogger("dev.weir.embedded.probe").isTraceEnabled());
        }
    }
}
