package dev.weir.embedded;

/**
 * The gateway decodes and encodes with kafka-clients' protocol and record classes, which move
 * between releases (4.3 put the record classes in {@code record.internal}, 4.4 the collections the
 * message classes are built on in {@code utils.internals}): a test that pins an older kafka-clients
 * would otherwise fail deep inside a request with NoClassDefFoundError. 4.3.1 was tried: it does.
 */
final class KafkaClientsCheck {
    /** Classes the gateway needs that older kafka-clients lack. */
    private static final String[] PROBES = {
        "org.apache.kafka.common.record.internal.MemoryRecords",
        "org.apache.kafka.common.utils.internals.ImplicitLinkedHashCollection",
    };
    private static volatile boolean checked;

    private KafkaClientsCheck() {
    }

    static void require() {
        if (checked) {
            return;
        }
        try {
            for (String probe : PROBES) {
                Class.forName(probe, false, KafkaClientsCheck.class.getClassLoader());
            }
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Weir's embedded broker needs kafka-clients 4.4 on the class path, found "
                    + version() + "; run Weir out of process (its jar or image) to test older clients");
        }
        checked = true;
    }

    /** Where kafka-clients was loaded from: its jar's name says its version. */
    private static String version() {
        try {
            java.security.CodeSource source = org.apache.kafka.common.protocol.ApiKeys.class.getProtectionDomain().getCodeSource();
            return source == null ? "an unknown version" : String.valueOf(source.getLocation());
        } catch (SecurityException e) {
            return "an unknown version";
        }
    }
}
