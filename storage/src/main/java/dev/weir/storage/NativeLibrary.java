package dev.weir.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * LMDB's native library as lmdbjava binds it, through jnr-ffi. Loading it is most of the store's
 * share of a cold start, so a process may start that early, on another thread ({@link #preload}).
 * This class has no logger: touching it must not initialise logging first.
 */
public final class NativeLibrary {
    private static final String EXTRACT_DIR_PROPERTY = "lmdbjava.extract.dir";
    private static final String NATIVE_LIB_PROPERTY = "lmdbjava.native.lib";
    private static boolean loaded;

    private NativeLibrary() {
    }

    /**
     * Starts loading the library on a daemon thread and returns at once. jnr-ffi generates its
     * stubs at run time (a few hundred ms); a process that calls this first gets that done while it
     * reads its configuration, and {@link LmdbSegmentStore#open} waits only for what is left.
     */
    public static void preload() {
        Thread t = new Thread(() -> {
            try {
                load();
            } catch (RuntimeException | LinkageError e) {
                // Not reported here: the store's open tries again and reports it.
            }
        }, "weir-lmdb-preload");
        t.setDaemon(true);
        t.start();
    }

    /** Loads the library once per process; a later call returns when it is loaded. */
    static synchronized void load() {
        if (!loaded) {
            loadOnce();
            loaded = true;
        }
    }

    /**
     * lmdbjava copies the library out of its jar into the temporary directory and deletes the copy
     * only when the JVM exits normally, so every kill -9 used to leave 300 KB behind. Here it copies
     * into a directory of this process's own, removed as soon as the library is mapped (a mapped
     * library needs no file). A process that names its own library or directory keeps it.
     */
    private static void loadOnce() {
        useGenericCalls();
        if (System.getProperty(NATIVE_LIB_PROPERTY) != null || System.getProperty(EXTRACT_DIR_PROPERTY) != null) {
            org.lmdbjava.Meta.version(); // loads and maps the library
        } else {
            Path dir;
            try {
                dir = Files.createTempDirectory("weir-lmdb-");
            } catch (IOException e) {
                throw new StorageException("cannot create a directory for LMDB's native library: " + e.getMessage(), e);
            }
            System.setProperty(EXTRACT_DIR_PROPERTY, dir.toString());
            try {
                org.lmdbjava.Meta.version();
            } finally {
                System.clearProperty(EXTRACT_DIR_PROPERTY);
                deleteTree(dir);
            }
        }
        org.lmdbjava.Env.create(); // and lmdbjava's buffer proxy, set up by reflection
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    /**
     * jnr-ffi assembles x86 machine-code stubs for every LMDB function at load time (about 150 ms of
     * a cold start); without them it calls through jffi's generic invoker, which JMH's store
     * benchmarks cannot tell apart (readBehind of 1 KiB entries: 1,588 against 1,487-1,954 reads/s).
     * A process may still choose by setting the property itself.
     */
    private static void useGenericCalls() {
        if (System.getProperty("jnr.ffi.x86asm.enabled") == null) {
            System.setProperty("jnr.ffi.x86asm.enabled", "false");
        }
    }
}
