package dev.weir.storage;

/**
 * LMDB's native library as lmdbjava binds it, through jnr-ffi. Loading it is most of the store's
 * share of a cold start, so a process may start that early, on another thread ({@link #preload}).
 * This class has no logger: touching it must not initialise logging first.
 */
public final class NativeLibrary {
    private NativeLibrary() {
    }

    /**
     * Starts loading the library on a daemon thread and returns at once. jnr-ffi generates its
     * stubs at run time (a few hundred ms); a process that calls this first gets that done while it
     * reads its configuration, and {@link LmdbSegmentStore#open} waits only for what is left.
     */
    public static void preload() {
        useGenericCalls();
        Thread t = new Thread(() -> {
            org.lmdbjava.Meta.version();
            org.lmdbjava.Env.create();
        }, "weir-lmdb-preload");
        t.setDaemon(true);
        t.start();
    }

    /**
     * jnr-ffi assembles x86 machine-code stubs for every LMDB function at load time (about 150 ms of
     * a cold start); without them it calls through jffi's generic invoker, which JMH's store
     * benchmarks cannot tell apart (readBehind of 1 KiB entries: 1,588 against 1,487-1,954 reads/s).
     * A process may still choose by setting the property itself.
     */
    static void useGenericCalls() {
        if (System.getProperty("jnr.ffi.x86asm.enabled") == null) {
            System.setProperty("jnr.ffi.x86asm.enabled", "false");
        }
    }
}
