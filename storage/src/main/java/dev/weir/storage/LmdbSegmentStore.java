package dev.weir.storage;

import com.codahale.metrics.MetricRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The segment store on LMDB: segments hash to a fixed number of {@link SegmentContainer}s, each an
 * LMDB environment in {@code dataDir/container-<i>/} with its own sequencer thread.
 *
 * <p>The JVM must run with {@code --add-opens java.base/java.nio=ALL-UNNAMED} (lmdbjava wraps
 * native memory in ByteBuffers).
 */
public final class LmdbSegmentStore implements SegmentStore {
    static final String PROPERTIES_FILE = "weir-store.properties";
    static final String LOCK_FILE = "weir-store.lock";
    private static final long PAGE_BYTES = 4096;
    private static final long MIN_MAP_BYTES = 64 * 1024;

    private final Path dataDir;
    private final SegmentContainer[] containers;
    /** The replicated log under the containers, or null on a single node. */
    private final ContainerLog log;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService readers;
    private final Executor readerExecutor;
    private final FileChannel lockChannel;
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private volatile boolean closed;

    private LmdbSegmentStore(Path dataDir, SegmentContainer[] containers, ScheduledThreadPoolExecutor timer,
                             ExecutorService readers, FileChannel lockChannel, ContainerLog log) {
        this.dataDir = dataDir;
        this.log = log;
        this.containers = containers;
        this.timer = timer;
        this.readers = readers;
        this.lockChannel = lockChannel;
        this.readerExecutor = task -> {
            try {
                readers.execute(task);
            } catch (RejectedExecutionException e) {
                task.run();
            }
        };
    }

    /**
     * Opens the store in {@code options.dataDir()}, creating it if needed, and continues exactly
     * where the last commit ended.
     *
     * @throws StorageException if the directory is in use, was created with another container
     *                          count, or cannot be opened
     */
    public static LmdbSegmentStore open(StoreOptions options) {
        NativeLibrary.load();
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(options.dataDir(), "dataDir");
        if (options.containers() < 0) {
            throw new IllegalArgumentException("containers must be 0 (automatic) or more: " + options.containers());
        }
        if (options.maxBytes() <= 0 || options.initialMapBytes() <= 0) {
            throw new IllegalArgumentException("maxBytes and initialMapBytes must be positive");
        }
        Path dir = options.dataDir();
        MetricRegistry metrics = options.metrics() != null ? options.metrics() : new MetricRegistry();

        FileChannel lockChannel = lockDirectory(dir);
        int n;
        try {
            n = containerCount(dir, options.containers());
        } catch (RuntimeException | IOException e) {
            closeQuietly(lockChannel);
            if (e instanceof StorageException se) {
                throw se;
            }
            throw new StorageException("cannot open store in " + dir + ": " + e.getMessage(), e);
        }
        long capBytes = Math.max(MIN_MAP_BYTES, options.maxBytes() / n / PAGE_BYTES * PAGE_BYTES);
        long initialBytes = Math.min(capBytes,
                Math.max(MIN_MAP_BYTES, (options.initialMapBytes() + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES));
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> storeThread(r, "weir-store-timer"));
        timer.setRemoveOnCancelPolicy(true);
        AtomicInteger readerIds = new AtomicInteger();
        ExecutorService readers = Executors.newFixedThreadPool(Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())),
                r -> storeThread(r, "weir-reader-" + readerIds.getAndIncrement()));
        SegmentContainer[] containers = new SegmentContainer[n];
        try {
            for (int i = 0; i < n; i++) {
                containers[i] = SegmentContainer.open(i, dir.resolve("container-" + i), options.sync(),
                        initialBytes, capBytes, options.cacheMaxBytes() / n, metrics, timer, options.log());
            }
            return new LmdbSegmentStore(dir, containers, timer, readers, lockChannel, options.log());
        } catch (RuntimeException | IOException e) {
            for (SegmentContainer c : containers) {
                if (c != null) {
                    c.stopAccepting();
                    c.awaitStopped();
                    c.closeEnv();
                }
            }
            timer.shutdownNow();
            readers.shutdownNow();
            closeQuietly(lockChannel);
            if (e instanceof StorageException se) {
                throw se;
            }
            throw new StorageException("cannot open store in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static FileChannel lockDirectory(Path dir) {
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StorageException("data directory " + dir + " is already in use by another store");
            }
            return channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StorageException("cannot lock data directory " + dir + ": " + e.getMessage(), e);
        } catch (StorageException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * The container count decides where every segment lives, so it is fixed at creation: a new data
     * directory gets {@code requested}, or with 0 one container per processor (on one disk, more
     * sequencers than cores only add fsyncs and context switches); an existing one keeps its own,
     * which {@code requested} must match unless it is 0.
     */
    private static int containerCount(Path dir, int requested) throws IOException {
        Path file = dir.resolve(PROPERTIES_FILE);
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            String stored = p.getProperty("containers");
            int existing;
            try {
                existing = Integer.parseInt(String.valueOf(stored).trim());
            } catch (NumberFormatException e) {
                throw new StorageException(file + " has no valid containers=N entry: " + stored);
            }
            if (requested != 0 && existing != requested) {
                throw new StorageException("data directory " + dir + " was created with " + existing
                        + " containers and cannot be opened with " + requested
                        + " (segments are placed by container count)");
            }
            return existing;
        }
        int containers = requested != 0 ? requested : Runtime.getRuntime().availableProcessors();
        Properties p = new Properties();
        p.setProperty("containers", Integer.toString(containers));
        Path tmp = dir.resolve(PROPERTIES_FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Weir segment store; the container count cannot change");
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return containers;
    }

    /** Threads the store owns; close() called from one of them must not wait for itself. */
    static final class StoreThread extends Thread {
        StoreThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    static Thread storeThread(Runnable r, String name) {
        return new StoreThread(r, name);
    }

    /**
     * Segments whose names start with this hold a replicated store's internal state; they all live
     * in container 0, so that one leader holds all of it (a cluster's controller and coordinator).
     */
    public static final String STATE_PREFIX = "__";

    /** Stable across JVM runs: String.hashCode is specified. */
    int containerIndex(String segment) {
        if (log != null && segment.startsWith(STATE_PREFIX)) {
            return 0;
        }
        return Math.floorMod(segment.hashCode(), containers.length);
    }

    SegmentContainer container(String segment) {
        return containers[containerIndex(Objects.requireNonNull(segment, "segment"))];
    }

    // ---------------------------------------------------------------- replication

    @Override
    public boolean leads(String segment) {
        return log == null || log.isLeader(containerOf(segment));
    }

    @Override
    public boolean replicated() {
        return log != null;
    }

    /** How many containers this store has; fixed for the life of its data directory. */
    public int containerCount() {
        return containers.length;
    }

    /** The container a segment lives in: the unit a cluster replicates and leads. */
    public int containerOf(String segment) {
        return containerIndex(Objects.requireNonNull(segment, "segment"));
    }

    /**
     * Applies a change record that the {@link StoreOptions#log() log} committed at {@code logIndex},
     * in log order; completes once applied. Records at or below {@link #appliedIndex} are skipped,
     * so the log may replay from any earlier point after a restart.
     */
    public CompletableFuture<Void> applyCommitted(int container, long logIndex, java.nio.ByteBuffer record) {
        return containers[container].applyCommitted(logIndex, record);
    }

    /**
     * Completes once the container's sequencer has handled everything queued before the call,
     * committed records handed over by the log included: a new leader reads a complete state
     * after it. Fails with {@link NotLeaderException} where this replica does not lead.
     */
    public CompletableFuture<Void> barrier(int container) {
        return containers[container].submit(new Operation<Void>(null) {
            @Override
            Void apply(GroupTxn group) {
                return null;
            }
        });
    }

    /** The log index of the last change record this container applied (0: none). */
    public long appliedIndex(int container) {
        return containers[container].appliedIndex();
    }

    // ---------------------------------------------------------------- verbs

    @Override
    public CompletableFuture<Void> createSegment(String segment) {
        if (!ContainerLayout.isValidName(Objects.requireNonNull(segment, "segment"))) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "segment name must be 1.." + ContainerLayout.MAX_NAME_BYTES + " UTF-8 bytes: " + segment));
        }
        return submit(segment, new Operation.CreateSegment(segment));
    }

    @Override
    public CompletableFuture<Void> deleteSegment(String segment) {
        return submit(segment, new Operation.DeleteSegment(segment));
    }

    @Override
    public CompletableFuture<Boolean> exists(String segment) {
        return now(() -> container(segment).exists(segment));
    }

    @Override
    public CompletableFuture<AppendResult> append(String segment, Append append) {
        Objects.requireNonNull(append, "append");
        return submit(segment, new AppendOperation(segment, append));
    }

    @Override
    public CompletableFuture<ReadResult> read(String segment, long offset, int maxBytes) {
        return now(() -> container(segment).read(segment, offset, maxBytes));
    }

    @Override
    public CompletableFuture<ReadResult> readShared(String segment, long offset, int maxBytes) {
        return now(() -> container(segment).read(segment, offset, maxBytes, true));
    }

    @Override
    public CompletableFuture<ReadResult> readWait(String segment, long offset, int maxBytes, Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        CompletableFuture<ReadResult> first = read(segment, offset, maxBytes);
        if (first.isCompletedExceptionally()) {
            return first;
        }
        ReadResult now = first.join();
        if (!now.entries().isEmpty() || offset != now.info().nextOffset()) {
            return first;
        }
        SegmentContainer c = container(segment);
        CompletableFuture<ReadResult> result = new CompletableFuture<>();
        c.awaitData(segment, offset, maxWait).whenComplete((v, error) -> {
            if (error != null) {
                result.completeExceptionally(storageFailure(error));
                return;
            }
            readerExecutor.execute(() -> {
                try {
                    result.complete(c.read(segment, offset, maxBytes));
                } catch (StoreClosedException e) {
                    result.complete(new ReadResult(List.of(), now.info()));
                } catch (RuntimeException e) {
                    result.completeExceptionally(storageFailure(e));
                }
            });
        });
        return result;
    }

    @Override
    public CompletableFuture<Void> awaitData(String segment, long offset, Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        if (closed) {
            return CompletableFuture.failedFuture(new StoreClosedException("store is closed"));
        }
        return container(segment).awaitData(segment, offset, maxWait);
    }

    @Override
    public CompletableFuture<SegmentInfo> getInfo(String segment) {
        return now(() -> container(segment).info(segment));
    }

    @Override
    public CompletableFuture<Long> findOffsetByTimestamp(String segment, long timestamp) {
        return now(() -> container(segment).findOffsetByTimestamp(segment, timestamp));
    }

    @Override
    public CompletableFuture<Long> truncate(String segment, long newStartOffset) {
        return submit(segment, new Operation.Truncate(segment, newStartOffset));
    }

    @Override
    public CompletableFuture<Long> rewriteEntries(String segment, java.util.List<EntryRewrite> rewrites) {
        return submit(segment, new Operation.Rewrite(segment, rewrites));
    }

    @Override
    public CompletableFuture<Long> truncateToSize(String segment, long maxBytes) {
        if (maxBytes < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("maxBytes must not be negative: " + maxBytes));
        }
        return submit(segment, new Operation.TruncateToSize(segment, maxBytes));
    }

    @Override
    public CompletableFuture<Map<Long, Long>> getAttributes(String segment, Collection<Long> attributeIds) {
        Objects.requireNonNull(attributeIds, "attributeIds");
        return now(() -> container(segment).attributes(segment, attributeIds));
    }

    @Override
    public CompletableFuture<java.util.SortedMap<Long, Long>> getAttributeRange(String segment, long fromId, long toId) {
        if (fromId < 0 || toId < fromId) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "attribute range [" + fromId + ", " + toId + ") must be non-negative and ordered"));
        }
        return now(() -> container(segment).attributeRange(segment, fromId, toId));
    }

    private <R> CompletableFuture<R> submit(String segment, Operation<R> op) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreClosedException("store is closed"));
        }
        return container(segment).submit(op);
    }

    private <T> CompletableFuture<T> now(Supplier<T> read) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreClosedException("store is closed"));
        }
        try {
            return CompletableFuture.completedFuture(read.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(storageFailure(e));
        }
    }

    private static Throwable storageFailure(Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof StorageException || t instanceof IllegalArgumentException || t instanceof NullPointerException) {
            return t;
        }
        return new StorageException("storage failure: " + t, t);
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Stops accepting work, commits what is queued, completes pending waits and closes the
     * environments. Idempotent. Called from one of the store's own threads (a future callback),
     * it starts the shutdown and returns without waiting for it.
     */
    @Override
    public void close() {
        boolean first;
        synchronized (this) {
            first = !closed;
            closed = true;
        }
        boolean onStoreThread = Thread.currentThread() instanceof StoreThread;
        if (first) {
            if (onStoreThread) {
                storeThread(this::shutdown, "weir-store-closer").start();
                return;
            }
            shutdown();
        } else if (!onStoreThread) {
            awaitUninterruptibly(closedLatch);
        }
    }

    /**
     * Stops as {@code kill -9} would, short of ending the process: queued work is dropped unapplied,
     * nothing more is committed or acknowledged, and the environments close without a final flush.
     * What was acknowledged is committed (and, with sync, flushed), so it is there when the directory
     * is opened again; LMDB's commits already sit in the OS page cache, as after a real process kill.
     * Idempotent with {@link #close()}; whichever comes first decides.
     */
    @Override
    public void halt() {
        synchronized (this) {
            if (closed) {
                awaitUninterruptibly(closedLatch);
                return;
            }
            closed = true;
        }
        shutdown(true);
    }

    private void shutdown() {
        shutdown(false);
    }

    private void shutdown(boolean halt) {
        try {
            for (SegmentContainer c : containers) {
                if (halt) {
                    c.halt();
                } else {
                    c.stopAccepting();
                }
            }
            for (SegmentContainer c : containers) {
                c.awaitStopped();
            }
            if (halt) {
                readers.shutdownNow();
            } else {
                readers.shutdown();
            }
            awaitTermination(readers);
            timer.shutdownNow();
            for (SegmentContainer c : containers) {
                c.closeEnv();
            }
            closeQuietly(lockChannel);
        } finally {
            closedLatch.countDown();
        }
    }

    private static void awaitTermination(ExecutorService executor) {
        boolean interrupted = false;
        while (!executor.isTerminated()) {
            try {
                executor.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (latch.getCount() > 0) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // releasing the lock is best effort; the OS drops it with the process
            }
        }
    }

    @Override
    public String toString() {
        return "LmdbSegmentStore[" + dataDir + ", " + containers.length + " containers]";
    }
}
