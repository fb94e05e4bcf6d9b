package dev.weir.gateway.handler;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates topics on first mention when auto.create.topics.enable is on, with the broker defaults. */
public final class TopicAutoCreator {
    private final TopicCatalog catalog;
    private final boolean enabled;
    private final int defaultPartitions;

    public TopicAutoCreator(TopicCatalog catalog, boolean enabled, int defaultPartitions) {
        this.catalog = catalog;
        this.enabled = enabled;
        this.defaultPartitions = defaultPartitions;
    }

    public boolean enabled() {
        return enabled;
    }

    /** The topic, created if missing; a concurrent creation by someone else is fine. */
    public CompletableFuture<TopicMeta> getOrCreate(String name) {
        return catalog.create(name, defaultPartitions, Map.of()).exceptionallyCompose(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
            if (cause instanceof TopicExistsException) {
                return catalog.byName(name).map(CompletableFuture::completedFuture)
                        .orElseGet(() -> CompletableFuture.failedFuture(cause));
            }
            return CompletableFuture.failedFuture(cause);
        });
    }
}
