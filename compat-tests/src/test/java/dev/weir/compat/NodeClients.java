package dev.weir.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the JavaScript clients of {@code src/test/js} (KafkaJS) with the machine's Node.js, their
 * packages installed once per run from the npm registry by {@code npm ci} into
 * {@code target/js}. Missing Node.js is a failure, never a skip (.ci/run installs it).
 */
final class NodeClients {
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);
    private static Path installed;

    private NodeClients() {
    }

    /** Runs {@code node <script> <args>} in the installed directory. */
    static ProcessResult run(String script, List<String> args) {
        Path dir = install();
        List<String> command = new ArrayList<>(List.of(executable("node").toString(), dir.resolve(script).toString()));
        command.addAll(args);
        return ChildProcesses.run("node-" + script, command, "", RUN_TIMEOUT);
    }

    private static synchronized Path install() {
        if (installed != null) {
            return installed;
        }
        Path source = CompatPaths.basedir().resolve("src/test/js");
        Path dir = CompatPaths.createDirectories(CompatPaths.buildDir().resolve("js"));
        try (var files = Files.list(source)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Files.isDirectory(dir.resolve("node_modules/kafkajs"))) {
            ChildProcesses.run("npm-ci", List.of(executable("npm").toString(), "ci", "--no-audit", "--no-fund",
                    "--prefix", dir.toString()), "", INSTALL_TIMEOUT).assertSucceeded();
        }
        installed = dir;
        return dir;
    }

    private static Path executable(String name) {
        return ChildProcesses.onPath(name).orElseThrow(() -> new AssertionError(name + " is not installed: install "
                + "Node.js (apt-get install -y nodejs npm; .ci/run does this) to run the JavaScript client tests"));
    }
}
