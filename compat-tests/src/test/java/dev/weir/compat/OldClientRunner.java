package dev.weir.compat;

import dev.weir.compat.oldclient.OldClientRoundTrip;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs {@link OldClientRoundTrip} in a child JVM whose class path is one old kafka-clients version
 * (copied by maven-dependency-plugin into target/clients-VERSION/) plus a directory holding only
 * that program's class file, so the child cannot see kafka-clients 4.x.
 */
public final class OldClientRunner {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private OldClientRunner() {
    }

    /** The old client versions under test, as the build configured them. */
    public static List<String> versions() {
        return List.of(System.getProperty("weir.compat.old28.version", "2.8.2"),
                System.getProperty("weir.compat.old39.version", "3.9.1"));
    }

    public static ProcessResult run(String clientVersion, List<String> args) {
        return run(clientVersion, OldClientRoundTrip.class, args);
    }

    /** Runs {@code program} (one class of package oldclient, no nested classes) on the old client. */
    public static ProcessResult run(String clientVersion, Class<?> program, List<String> args) {
        String classpath = clientJars(clientVersion) + File.pathSeparator + programDir(program);
        List<String> command = ChildProcesses.javaCommand(List.of("-Xmx256m", "-XX:+UseSerialGC"), classpath,
                program.getName(), args);
        return ChildProcesses.run("kafka-clients-" + clientVersion, command, "", TIMEOUT);
    }

    private static String clientJars(String version) {
        Path dir = CompatPaths.buildDir().resolve("clients-" + version);
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
            if (jars.stream().noneMatch(p -> p.getFileName().toString().equals("kafka-clients-" + version + ".jar"))) {
                throw new IllegalStateException("kafka-clients-" + version + ".jar is missing from " + dir
                        + " (maven-dependency-plugin copies it during generate-test-resources)");
            }
            return jars.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        } catch (IOException e) {
            throw new UncheckedIOException("no old client jars in " + dir
                    + " (run the tests through Maven: generate-test-resources copies them)", e);
        }
    }

    /** A directory containing only the program's class file(s), copied out of target/test-classes. */
    private static Path programDir(Class<?> program) {
        String packagePath = program.getPackageName().replace('.', '/');
        Path dir = CompatPaths.buildDir().resolve("oldclient-classes-" + program.getSimpleName());
        Path packageDir = CompatPaths.createDirectories(dir.resolve(packagePath));
        String classFile = program.getSimpleName() + ".class";
        try (InputStream in = program.getResourceAsStream(classFile)) {
            if (in == null) {
                throw new IllegalStateException("class file of " + program + " not found");
            }
            Files.copy(in, packageDir.resolve(classFile), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }
}
