package dev.weir.compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Runs kcat (librdkafka's command line client). Missing kcat is a failure, never a skip. */
public final class Kcat {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Kcat() {
    }

    /** Runs {@code kcat -b <broker> <args>} with IPv4 forced (the brokers listen on 127.0.0.1 only). */
    public static ProcessResult run(Broker broker, List<String> args, String stdin) {
        return run(broker.bootstrapServers(), args, stdin);
    }

    /** Runs {@code kcat -b <bootstrap> <args>}: for a listener other than the broker's PLAINTEXT one. */
    public static ProcessResult run(String bootstrap, List<String> args, String stdin) {
        List<String> command = new ArrayList<>();
        command.add(executable().toString());
        command.addAll(List.of("-b", bootstrap, "-X", "broker.address.family=v4"));
        command.addAll(args);
        return ChildProcesses.run("kcat", command, stdin, TIMEOUT);
    }

    static Path executable() {
        return find().orElseThrow(() -> new AssertionError(
                "kcat is not installed: install it (apt-get install -y kcat; .ci/run does this) "
                        + "to run the librdkafka compatibility tests"));
    }

    private static Optional<Path> find() {
        Path standard = Path.of("/usr/bin/kcat");
        if (Files.isExecutable(standard)) {
            return Optional.of(standard);
        }
        return ChildProcesses.onPath("kcat", "kafkacat");
    }
}
