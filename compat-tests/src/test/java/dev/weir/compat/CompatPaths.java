package dev.weir.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** Where the suite finds the built gateway and puts data directories and logs (all under target/). */
final class CompatPaths {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis(), 36);

    private CompatPaths() {
    }

    /** The compat-tests module directory; surefire passes it, an IDE run falls back to the working directory. */
    static Path basedir() {
        return Path.of(System.getProperty("weir.compat.basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    static Path buildDir() {
        String dir = System.getProperty("weir.compat.buildDir");
        return dir != null ? Path.of(dir) : basedir().resolve("target");
    }

    static Path gatewayJar() {
        return basedir().resolve("../gateway/target/weir-gateway.jar").normalize();
    }

    /** A fresh, empty directory under target/compat-data for one broker or run. */
    static Path newDataDir(String name) {
        return createDirectories(buildDir().resolve("compat-data").resolve(uniqueName(name)));
    }

    /** A fresh log file path under target/compat-logs (the file itself is created by the process). */
    static Path newLogFile(String name, String suffix) {
        Path dir = createDirectories(buildDir().resolve("compat-logs"));
        return dir.resolve(uniqueName(name) + suffix);
    }

    /** A file from src/test/resources, as a path (the child JVMs need files, not class path resources). */
    static Path testResource(String name) {
        URL url = CompatPaths.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalStateException("test resource not found: " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: leftovers under target/ are removed by mvn clean
        }
    }

    static Path createDirectories(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String uniqueName(String name) {
        return name + "-" + RUN + "-" + SEQUENCE.incrementAndGet();
    }
}
