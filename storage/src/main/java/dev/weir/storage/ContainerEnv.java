package dev.weir.storage;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;

/**
 * One container's LMDB environment: its tables, its map size and the guard that lets the map be
 * resized. LMDB may only remap when no transaction of the process is active, so every read
 * transaction runs under the read side of {@link #mapLock} and a resize takes the write side.
 * Idle read transactions are kept reset (holding a reader slot but no snapshot) for reuse.
 */
final class ContainerEnv implements AutoCloseable {
    private static final int MDB_MAP_FULL = -30792;
    private static final int IDLE_READERS = 64;

    final Dbi<ByteBuffer> segments;
    final Dbi<ByteBuffer> entries;
    final Dbi<ByteBuffer> timeIndex;
    final Dbi<ByteBuffer> attributes;
    final Dbi<ByteBuffer> meta;

    private final Env<ByteBuffer> env;
    private final ReentrantReadWriteLock mapLock = new ReentrantReadWriteLock();
    private final ArrayBlockingQueue<Txn<ByteBuffer>> idleReaders = new ArrayBlockingQueue<>(IDLE_READERS);
    private volatile long mapSize;
    private volatile boolean closed;

    @FunctionalInterface
    interface ReadFunction<T> {
        T apply(Txn<ByteBuffer> txn);
    }

    private ContainerEnv(Env<ByteBuffer> env) {
        this.env = env;
        this.segments = env.openDbi(ContainerLayout.SEGMENTS, DbiFlags.MDB_CREATE);
        this.entries = env.openDbi(ContainerLayout.ENTRIES, DbiFlags.MDB_CREATE);
        this.timeIndex = env.openDbi(ContainerLayout.TIME_INDEX, DbiFlags.MDB_CREATE);
        this.attributes = env.openDbi(ContainerLayout.ATTRIBUTES, DbiFlags.MDB_CREATE);
        this.meta = env.openDbi(ContainerLayout.META, DbiFlags.MDB_CREATE);
        this.mapSize = env.info().mapSize;
    }

    /**
     * Opens (or creates) the environment in {@code dir}. The map starts at {@code initialMapBytes};
     * LMDB raises it by itself to the size already used by an existing data file.
     */
    static ContainerEnv open(Path dir, long initialMapBytes, boolean sync) throws java.io.IOException {
        Files.createDirectories(dir);
        List<EnvFlags> flags = new ArrayList<>(List.of(EnvFlags.MDB_NOTLS));
        // With sync, a commit flushes its data pages but not the meta page that makes them current;
        // syncMeta() does that off the sequencer, before anyone is told (see SegmentContainer).
        flags.add(sync ? EnvFlags.MDB_NOMETASYNC : EnvFlags.MDB_NOSYNC);
        Env<ByteBuffer> env = Env.create()
                .setMapSize(initialMapBytes)
                .setMaxDbs(8)
                .setMaxReaders(1024)
                .open(dir.toFile(), flags.toArray(EnvFlags[]::new));
        try {
            return new ContainerEnv(env);
        } catch (RuntimeException e) {
            env.close();
            throw e;
        }
    }

    /**
     * Flushes the file to disk, including the meta pages of commits made with MDB_NOMETASYNC: once
     * it returns, every transaction committed before the call is durable. Their data pages were
     * flushed by the commits themselves, before the meta pages were written, so the order LMDB
     * relies on for integrity after a power loss holds.
     */
    void syncMeta() {
        mapLock.readLock().lock();
        try {
            env.sync(true);
        } finally {
            mapLock.readLock().unlock();
        }
    }

    static boolean isMapFull(Throwable e) {
        return e instanceof Env.MapFullException
                || (e instanceof LmdbNativeException n && n.getResultCode() == MDB_MAP_FULL);
    }

    long mapSize() {
        return mapSize;
    }

    /** Runs {@code fn} in a read-only snapshot on the calling thread. */
    <T> T read(ReadFunction<T> fn) {
        ReentrantReadWriteLock.ReadLock lock = mapLock.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new StoreClosedException("store is closed");
            }
            Txn<ByteBuffer> txn = idleReaders.poll();
            if (txn == null) {
                txn = env.txnRead();
            } else {
                txn.renew();
            }
            boolean reusable = false;
            try {
                T result = fn.apply(txn);
                reusable = true;
                return result;
            } finally {
                release(txn, reusable);
            }
        } finally {
            lock.unlock();
        }
    }

    private void release(Txn<ByteBuffer> txn, boolean reusable) {
        if (reusable) {
            txn.reset();
            if (idleReaders.offer(txn)) {
                return;
            }
            // lmdbjava only aborts (and so frees the reader slot of) a transaction that is ready
            txn.renew();
        }
        txn.close();
    }

    /** A table by its {@link ChangeRecord} id. */
    Dbi<ByteBuffer> table(byte id) {
        return switch (id) {
            case ChangeRecord.SEGMENTS -> segments;
            case ChangeRecord.ENTRIES -> entries;
            case ChangeRecord.TIME_INDEX -> timeIndex;
            case ChangeRecord.ATTRIBUTES -> attributes;
            case ChangeRecord.META -> meta;
            default -> throw new StorageException("corrupt change record: unknown table " + id);
        };
    }

    /** Only the container's sequencer writes. */
    Txn<ByteBuffer> beginWrite() {
        return env.txnWrite();
    }

    /** Sets the map size (LMDB never goes below what is in use). Waits for in-flight reads. */
    void resize(long newSize) {
        ReentrantReadWriteLock.WriteLock lock = mapLock.writeLock();
        lock.lock();
        try {
            env.setMapSize(newSize);
            mapSize = env.info().mapSize;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        ReentrantReadWriteLock.WriteLock lock = mapLock.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Txn<ByteBuffer> txn; (txn = idleReaders.poll()) != null; ) {
                txn.renew();
                txn.close();
            }
            env.close();
        } finally {
            lock.unlock();
        }
    }
}
