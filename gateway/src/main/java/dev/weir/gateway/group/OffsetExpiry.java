package dev.weir.gateway.group;

import dev.weir.gateway.catalog.TopicCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires committed offsets after {@code offsets.retention.minutes}, as Kafka does, drops offsets of
 * deleted topics (already invisible to clients, see GroupOffsetsHandler), and removes a group that
 * is left empty and without offsets. Runs periodically on the gateway's background thread.
 */
public final class OffsetExpiry {
    private static final Logger log = LoggerFactory.getLogger(OffsetExpiry.class);

    /** When a group's offsets expire: never, or counted from a fixed time or from each commit, sparing some topics. */
    record Rule(boolean never, long emptySince, Set<String> keepTopics) {
        static final Rule NEVER = new Rule(true, -1, Set.of());

        static Rule emptySince(long timestamp) {
            return new Rule(false, timestamp, Set.of());
        }

        static Rule byCommitTime(Set<String> keepTopics) {
            return new Rule(false, -1, keepTopics);
        }
    }

    private final GroupCoordinator classic;
    private final ConsumerGroups consumerGroups;
    private final CommittedOffsets offsets;
    private final TopicCatalog catalog;
    private final long retentionMs;

    public OffsetExpiry(GroupCoordinator classic, ConsumerGroups consumerGroups, CommittedOffsets offsets,
                        TopicCatalog catalog, long retentionMs) {
        this.classic = classic;
        this.consumerGroups = consumerGroups;
        this.offsets = offsets;
        this.catalog = catalog;
        this.retentionMs = retentionMs;
    }

    public void run() {
        try {
            run(System.currentTimeMillis());
        } catch (RuntimeException e) {
            log.warn("Offset expiry failed; will retry at the next interval", e);
        }
    }

    void run(long now) {
        for (String groupId : offsets.groups()) {
            Rule rule = consumerGroups.expiryRule(groupId).orElseGet(() -> classic.expiryRule(groupId));
            List<TopicPartition> expired = new ArrayList<>();
            for (Map.Entry<TopicPartition, CommittedOffsets.Committed> e : offsets.of(groupId).entrySet()) {
                long base = Math.max(rule.emptySince(), e.getValue().commitTimestamp());
                boolean topicGone = catalog.byName(e.getKey().topic())
                        .map(t -> !t.id().equals(e.getValue().topicId())).orElse(true);
                if (topicGone || (!rule.never() && !rule.keepTopics().contains(e.getKey().topic())
                        && now - base >= retentionMs)) {
                    expired.add(e.getKey());
                }
            }
            if (expired.isEmpty()) {
                continue;
            }
            offsets.delete(groupId, expired).join();
            log.info("Removed {} committed offsets of group {}: expired, or of deleted topics", expired.size(), groupId);
            if (offsets.of(groupId).isEmpty()) {
                Errors deleted = consumerGroups.exists(groupId) ? consumerGroups.delete(groupId).join()
                        : classic.delete(groupId).join();
                if (deleted == Errors.NONE) {
                    log.info("Removed group {}: empty, and its offsets expired", groupId);
                }
            }
        }
    }
}
