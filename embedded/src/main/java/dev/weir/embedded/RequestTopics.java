package dev.weir.embedded;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;

/** The topics and partitions a request names, by name (ids resolved), for matching and the request log. */
record RequestTopics(List<String> topics, List<TopicPartition> partitions) {
    static final RequestTopics NONE = new RequestTopics(List.of(), List.of());

    boolean names(String topic, int partition) {
        if (partition < 0) {
            return topics.contains(topic);
        }
        return partitions.contains(new TopicPartition(topic, partition));
    }

    static RequestTopics of(AbstractRequest request, Map<Uuid, String> names) {
        Builder b = new Builder(names);
        if (request instanceof ProduceRequest r) {
            r.data().topicData().forEach(t -> t.partitionData().forEach(p -> b.add(t.name(), t.topicId(), p.index())));
        } else if (request instanceof FetchRequest r) {
            r.data().topics().forEach(t -> t.partitions().forEach(p -> b.add(t.topic(), t.topicId(), p.partition())));
        } else if (request instanceof ListOffsetsRequest r) {
            r.data().topics().forEach(t -> t.partitions().forEach(p -> b.add(t.name(), null, p.partitionIndex())));
        } else if (request instanceof MetadataRequest r) {
            if (r.data().topics() != null) {
                r.data().topics().forEach(t -> b.topic(t.name(), t.topicId()));
            }
        } else if (request instanceof OffsetCommitRequest r) {
            r.data().topics().forEach(t -> t.partitions().forEach(p -> b.add(t.name(), t.topicId(), p.partitionIndex())));
        } else if (request instanceof OffsetFetchRequest r) {
            r.data().groups().forEach(g -> {
                if (g.topics() != null) {
                    g.topics().forEach(t -> t.partitionIndexes().forEach(p -> b.add(t.name(), t.topicId(), p)));
                }
            });
            if (r.data().topics() != null) {
                r.data().topics().forEach(t -> t.partitionIndexes().forEach(p -> b.add(t.name(), null, p)));
            }
        } else if (request instanceof TxnOffsetCommitRequest r) {
            r.data().topics().forEach(t -> t.partitions().forEach(p -> b.add(t.name(), null, p.partitionIndex())));
        } else if (request instanceof AddPartitionsToTxnRequest r) {
            r.data().v3AndBelowTopics().forEach(t -> t.partitions().forEach(p -> b.add(t.name(), null, p)));
            r.data().transactions().forEach(x -> x.topics().forEach(t -> t.partitions().forEach(p -> b.add(t.name(), null, p))));
        } else if (request instanceof DeleteRecordsRequest r) {
            r.data().topics().forEach(t -> t.partitions().forEach(p -> b.add(t.name(), null, p.partitionIndex())));
        } else if (request instanceof OffsetsForLeaderEpochRequest r) {
            r.data().topics().forEach(t -> t.partitions().forEach(p -> b.add(t.topic(), null, p.partition())));
        } else if (request instanceof CreateTopicsRequest r) {
            r.data().topics().forEach(t -> b.topic(t.name(), null));
        } else if (request instanceof DeleteTopicsRequest r) {
            r.data().topicNames().forEach(t -> b.topic(t, null));
            r.data().topics().forEach(t -> b.topic(t.name(), t.topicId()));
        } else {
            return NONE;
        }
        return b.build();
    }

    private static final class Builder {
        private final Map<Uuid, String> names;
        private final Set<String> topics = new LinkedHashSet<>();
        private final List<TopicPartition> partitions = new ArrayList<>();

        Builder(Map<Uuid, String> names) {
            this.names = names;
        }

        void topic(String name, Uuid id) {
            String resolved = resolve(name, id);
            if (resolved != null) {
                topics.add(resolved);
            }
        }

        void add(String name, Uuid id, int partition) {
            String resolved = resolve(name, id);
            if (resolved != null) {
                topics.add(resolved);
                partitions.add(new TopicPartition(resolved, partition));
            }
        }

        private String resolve(String name, Uuid id) {
            if (name != null && !name.isEmpty()) {
                return name;
            }
            return id == null || Uuid.ZERO_UUID.equals(id) ? null : names.getOrDefault(id, id.toString());
        }

        RequestTopics build() {
            return new RequestTopics(List.copyOf(topics), List.copyOf(partitions));
        }
    }
}
