package dev.weir.compat;

import java.nio.file.Path;

/** A Kafka-protocol broker under test, running as its own process: the Weir gateway or Apache Kafka. */
public interface Broker extends AutoCloseable {

    Target target();

    String host();

    int port();

    default String bootstrapServers() {
        return host() + ":" + port();
    }

    boolean isAlive();

    /** Where the broker's own stdout and stderr go. */
    Path logFile();

    /** SIGTERM, then waits for a graceful exit; fails the test if the process does not exit in time. */
    void stop();

    /** SIGKILL: the process gets no chance to flush or close anything. */
    void kill9();

    /** Starts the stopped or killed broker again on the same port and data directory, and waits until it serves. */
    void restart();

    /** Stops the broker if it still runs (forcibly if it must) and removes its data directory. Never throws. */
    @Override
    void close();
}
