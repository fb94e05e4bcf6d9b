package dev.weir.gateway;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicConfigs;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.storage.SegmentStore;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces retention.ms and retention.bytes by truncating partition segments: records whose batch
 * is wholly older than retention.ms, and the oldest batches beyond retention.bytes, are removed.
 */
final class RetentionService {
    private static final Logger log = LoggerFactory.getLogger(RetentionService.class);

    private final TopicCatalog catalog;
    private final TopicConfigs topicConfigs;
    private final SegmentStore store;

    RetentionService(TopicCatalog catalog, TopicConfigs topicConfigs, SegmentStore store) {
        this.catalog = catalog;
        this.topicConfigs = topicConfigs;
        this.store = store;
    }

    /** One pass over every partition; returns when all truncations are committed. */
    void enforce() {
        long now = System.currentTimeMillis();
        for (TopicMeta topic : catalog.all()) {
            TopicConfigs.Effective config = topicConfigs.effective(topic);
            if (!config.deletes()) {
                continue;
            }
            for (int p = 0; p < topic.partitions(); p++) {
                String segment = topic.segment(p);
                if (!store.leads(segment)) {
                    continue; // the leader of its container truncates; followers apply what it did
                }
                try {
                    enforce(segment, config, now).join();
                } catch (RuntimeException e) {
                    log.warn("Retention of {}-{} failed: {}", topic.name(), p, e.getMessage());
                }
            }
        }
    }

    private CompletableFuture<Void> enforce(String segment, TopicConfigs.Effective config, long now) {
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        if (config.retentionMs() >= 0) {
            long cutoff = now - config.retentionMs();
            done = done.thenCompose(v -> store.findOffsetByTimestamp(segment, cutoff))
                    .thenCompose(offset -> offset >= 0
                            ? store.truncate(segment, offset)
                            : store.getInfo(segment).thenCompose(i -> store.truncate(segment, i.nextOffset())))
                    .thenApply(x -> null);
        }
        if (config.retentionBytes() >= 0) {
            done = done.thenCompose(v -> store.truncateToSize(segment, config.retentionBytes())).thenApply(x -> null);
        }
        return done;
    }
}
