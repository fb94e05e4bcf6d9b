package dev.weir.storage;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Path;

/**
 * @param dataDir        one sub-directory per container lives here
 * @param containers     fixed for the life of the data directory; 0: the directory's own count, or
 *                       for a new one, one per processor
 * @param sync           fsync each group commit (durable against power loss); false leaves
 *                       flushing to the OS: a process crash loses nothing, a machine crash may
 * @param maxBytes       total on-disk budget across containers; appends past it fail with
 *                       {@link StorageFullException}
 * @param initialMapBytes size each container's LMDB map starts at; it grows on demand
 * @param cacheMaxBytes  off-heap append cache across containers (each gets an equal share, at
 *                       least one 2 MiB buffer); allocated as it fills; 0 turns it off
 * @param log            the replicated log under the containers when this store is one replica of
 *                       a cluster; null for a single node
 */
public record StoreOptions(Path dataDir, int containers, boolean sync, long maxBytes, long initialMapBytes,
                           MetricRegistry metrics, long cacheMaxBytes, ContainerLog log) {
    /** The default append cache: 256 MiB. */
    public static final long DEFAULT_CACHE_BYTES = 256L << 20;

    public StoreOptions(Path dataDir, int containers, boolean sync, long maxBytes, long initialMapBytes,
                        MetricRegistry metrics) {
        this(dataDir, containers, sync, maxBytes, initialMapBytes, metrics, DEFAULT_CACHE_BYTES);
    }

    public StoreOptions(Path dataDir, int containers, boolean sync, long maxBytes, long initialMapBytes,
                        MetricRegistry metrics, long cacheMaxBytes) {
        this(dataDir, containers, sync, maxBytes, initialMapBytes, metrics, cacheMaxBytes, null);
    }

    /** The same options for one replica of a cluster. */
    public StoreOptions withLog(ContainerLog log) {
        return new StoreOptions(dataDir, containers, sync, maxBytes, initialMapBytes, metrics, cacheMaxBytes, log);
    }
}
