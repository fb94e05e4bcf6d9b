package dev.weir.gateway.catalog;

import java.util.Map;
import org.apache.kafka.common.Uuid;

/** A topic as the catalog knows it: immutable; every change makes a new one. */
public record TopicMeta(String name, Uuid id, int partitions, Map<String, String> configOverrides) {

    public TopicMeta {
        configOverrides = Map.copyOf(configOverrides);
    }

    /** The store segment holding one partition's log. Keyed by topic id so a recreated topic starts empty. */
    public String segment(int partition) {
        return "t-" + id + "-" + partition;
    }

    TopicMeta withPartitions(int count) {
        return new TopicMeta(name, id, count, configOverrides);
    }

    TopicMeta withConfigs(Map<String, String> overrides) {
        return new TopicMeta(name, id, partitions, overrides);
    }
}
