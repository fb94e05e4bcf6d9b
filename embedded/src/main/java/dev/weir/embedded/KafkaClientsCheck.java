package dev.weir.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The gateway decodes and encodes with kafka-clients' protocol and record classes, which move
 * between releases (4.x put the record classes in {@code record.internal}): a test that pins an
 * older kafka-clients would otherwise fail deep inside a request with NoClassDefFoundError.
 */
final class KafkaClientsCheck {
    /** A class the gateway needs that older kafka-clients lack. */
    private static final String PROBE = "org.apache.kafka.common.record.internal.MemoryRecords";
    private static volatile boolean checked;

    private KafkaClientsCheck() {
    }

    static void require() {
        if (checked) {
            return;
        }
        try {
            Class.forName(PROBE, false, KafkaClientsCheck.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Weir's embedded broker needs kafka-clients 4.4 on the class path, found "
                    + version() + "; run Weir out of process (its jar or image) to test older clients");
        }
        checked = true;
    }

    /** kafka-clients' own version file (its class that reads it moved between releases too). */
    private static String version() {
        try (InputStream in = KafkaClientsCheck.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
            if (in == null) {
                return "an unknown version";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "an unknown version");
        } catch (IOException e) {
            return "an unknown version";
        }
    }
}
