package dev.weir.gateway.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.DefaultObjectNameFactory;
import com.codahale.metrics.jmx.ObjectNameFactory;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The figures Kafka's brokers publish under their well-known JMX names, kept in Weir's one
 * metrics registry, so that Kafka dashboards and JMX-exporter configurations read Weir as they
 * read a broker: {@code kafka.server:type=BrokerTopicMetrics}, {@code
 * kafka.network:type=RequestMetrics}, {@code kafka.server:type=ReplicaManager} and {@code
 * kafka.controller:type=KafkaController}. Each is registered under a dotted registry name
 * ({@code kafka.server.BrokerTopicMetrics.MessagesInPerSec.topic.orders}), which the Prometheus
 * bridge exports as it is, and which {@link #objectNames} maps to Kafka's exact ObjectName.
 * Meters and histograms are made once (per topic, per API version) and then only marked.
 */
public final class KafkaMetrics {
    private static final Logger log = LoggerFactory.getLogger(KafkaMetrics.class);
    private static final String BROKER_TOPIC = "kafka.server.BrokerTopicMetrics.";
    private static final String REQUEST = "kafka.network.RequestMetrics.";

    private final MetricRegistry registry;
    /** Registry name to ObjectName, for every metric made here. */
    private final Map<String, String> objectNames = new ConcurrentHashMap<>();
    private final TopicMeters allTopics;
    private final Map<String, TopicMeters> topics = new ConcurrentHashMap<>();
    /** Per-topic names whose Prometheus name another topic already takes ('-' and '_' both become '_'). */
    private final Set<String> hiddenFromPrometheus = ConcurrentHashMap.newKeySet();
    private final Map<String, String> prometheusTopics = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<RequestMetrics> requests;
    private final RequestMetrics fetchConsumer;
    private final RequestMetrics fetchFollower;

    public KafkaMetrics(MetricRegistry registry, TopicCatalog catalog) {
        this.registry = registry;
        allTopics = new TopicMeters(null);
        int maxId = 0;
        for (ApiKeys k : ApiKeys.values()) {
            maxId = Math.max(maxId, k.id);
        }
        requests = new AtomicReferenceArray<>(maxId + 1);
        fetchConsumer = new RequestMetrics(ApiKeys.FETCH.name + "Consumer", ApiKeys.FETCH.latestVersion());
        fetchFollower = new RequestMetrics(ApiKeys.FETCH.name + "Follower", ApiKeys.FETCH.latestVersion());
        // One node holding every partition, its own controller: nothing is ever under-replicated or offline.
        gauge("kafka.server", "ReplicaManager", "PartitionCount", () -> partitions(catalog));
        gauge("kafka.server", "ReplicaManager", "LeaderCount", () -> partitions(catalog));
        gauge("kafka.server", "ReplicaManager", "UnderReplicatedPartitions", () -> 0);
        gauge("kafka.server", "ReplicaManager", "UnderMinIsrPartitionCount", () -> 0);
        gauge("kafka.server", "ReplicaManager", "OfflineReplicaCount", () -> 0);
        gauge("kafka.server", "ReplicaManager", "ReassigningPartitions", () -> 0);
        gauge("kafka.controller", "KafkaController", "ActiveControllerCount", () -> 1);
        gauge("kafka.controller", "KafkaController", "OfflinePartitionsCount", () -> 0);
        gauge("kafka.controller", "KafkaController", "GlobalTopicCount", () -> catalog.all().size());
        gauge("kafka.controller", "KafkaController", "GlobalPartitionCount", () -> partitions(catalog));
        catalog.onDeleted(t -> removeTopic(t.name()));
    }

    private static int partitions(TopicCatalog catalog) {
        int n = 0;
        for (TopicMeta t : catalog.all()) {
            n += t.partitions();
        }
        return n;
    }

    private void gauge(String domain, String type, String name, Gauge<Integer> gauge) {
        String key = domain + "." + type + "." + name;
        objectNames.put(key, domain + ":type=" + type + ",name=" + name);
        registry.register(key, gauge);
    }

    private Meter meter(String key, String objectName) {
        objectNames.put(key, objectName);
        return registry.meter(key);
    }

    private Histogram histogram(String key, String objectName) {
        objectNames.put(key, objectName);
        return registry.histogram(key);
    }

    /** The meters of all topics together. */
    public TopicMeters allTopics() {
        return allTopics;
    }

    /** The meters of one topic, made on its first use; marking them marks the all-topics ones too. */
    public TopicMeters topic(String name) {
        TopicMeters m = topics.get(name);
        return m != null ? m : topics.computeIfAbsent(name, TopicMeters::new);
    }

    /** Drops a deleted topic's meters (and its MBeans), as Kafka does. */
    void removeTopic(String name) {
        TopicMeters m = topics.remove(name);
        if (m != null) {
            m.remove();
        }
    }

    /** The request metrics of an API, under Kafka's request name (ApiKeys' name: Produce, Metadata, ...). */
    public RequestMetrics request(ApiKeys key) {
        RequestMetrics m = requests.get(key.id);
        if (m == null) {
            requests.compareAndSet(key.id, null, new RequestMetrics(key.name, key.latestVersion()));
            m = requests.get(key.id);
        }
        return m;
    }

    /** Kafka's split of Fetch: from a follower (a replica id given) or from a consumer. */
    public RequestMetrics fetch(boolean fromFollower) {
        return fromFollower ? fetchFollower : fetchConsumer;
    }

    /** Maps the names made here to Kafka's ObjectNames; every other metric keeps Weir's own under {@code domain}. */
    public ObjectNameFactory objectNames() {
        DefaultObjectNameFactory weir = new DefaultObjectNameFactory();
        return (type, domain, name) -> {
            String kafka = objectNames.get(name);
            if (kafka == null) {
                return weir.createName(type, domain, name);
            }
            try {
                return new ObjectName(kafka);
            } catch (MalformedObjectNameException e) {
                return weir.createName(type, domain, name);
            }
        };
    }

    /** What the Prometheus endpoint exports: everything but a topic whose exported name another topic took first. */
    public MetricFilter prometheusFilter() {
        return (String name, Metric metric) -> !hiddenFromPrometheus.contains(name);
    }

    /** A topic's part of its Prometheus names: the characters a Prometheus name may not hold become '_'. */
    private static String exportedName(String topic) {
        return topic.replace('-', '_').replace('.', '_');
    }

    /** BrokerTopicMetrics of one topic (or of all, topic null). */
    public final class TopicMeters {
        private final String topic;
        private final TopicMeters all;
        private final String[] keys = new String[7];
        private final boolean hidden;
        private final Meter messagesIn;
        private final Meter bytesIn;
        private final Meter bytesOut;
        private final Meter totalProduceRequests;
        private final Meter totalFetchRequests;
        private final Meter failedProduceRequests;
        private final Meter failedFetchRequests;

        private TopicMeters(String topic) {
            this.topic = topic;
            this.all = topic == null ? null : allTopics;
            // Decided before anything is registered, so no scrape ever sees two topics under one name.
            if (topic != null) {
                String owner = prometheusTopics.putIfAbsent(exportedName(topic), topic);
                hidden = owner != null && !owner.equals(topic);
                if (hidden) {
                    log.info("Topic {}'s metrics are not exported to Prometheus: topic {} has the same exported name",
                            topic, owner);
                }
            } else {
                hidden = false;
            }
            messagesIn = make(0, "MessagesInPerSec");
            bytesIn = make(1, "BytesInPerSec");
            bytesOut = make(2, "BytesOutPerSec");
            totalProduceRequests = make(3, "TotalProduceRequestsPerSec");
            totalFetchRequests = make(4, "TotalFetchRequestsPerSec");
            failedProduceRequests = make(5, "FailedProduceRequestsPerSec");
            failedFetchRequests = make(6, "FailedFetchRequestsPerSec");
        }

        private Meter make(int index, String name) {
            String key = BROKER_TOPIC + name + (topic == null ? "" : ".topic." + topic);
            keys[index] = key;
            if (hidden) {
                hiddenFromPrometheus.add(key);
            }
            return meter(key, "kafka.server:type=BrokerTopicMetrics,name=" + name
                    + (topic == null ? "" : ",topic=" + topic));
        }

        /** A batch of {@code records} records and {@code bytes} bytes appended. */
        public void appended(int records, long bytes) {
            messagesIn.mark(records);
            bytesIn.mark(bytes);
            if (all != null) {
                all.appended(records, bytes);
            }
        }

        /** A partition of a produce request, attempted; {@code failed} if it was not appended. */
        public void produceRequest(boolean failed) {
            totalProduceRequests.mark();
            if (failed) {
                failedProduceRequests.mark();
            }
            if (all != null) {
                all.produceRequest(failed);
            }
        }

        /** A partition of a fetch answered with {@code bytes} bytes of records, or failed. */
        public void fetched(long bytes, boolean failed) {
            totalFetchRequests.mark();
            if (failed) {
                failedFetchRequests.mark();
            } else if (bytes > 0) {
                bytesOut.mark(bytes);
            }
            if (all != null) {
                all.fetched(bytes, failed);
            }
        }

        private void remove() {
            for (String key : keys) {
                registry.remove(key);
                objectNames.remove(key);
                hiddenFromPrometheus.remove(key);
            }
            prometheusTopics.remove(exportedName(topic), topic);
        }
    }

    /** RequestMetrics of one request name: RequestsPerSec per version, and TotalTimeMs. */
    public final class RequestMetrics {
        private final String request;
        private final AtomicReferenceArray<Meter> requestsPerVersion;
        private final Histogram totalTimeMs;

        private RequestMetrics(String request, short maxVersion) {
            this.request = request;
            this.requestsPerVersion = new AtomicReferenceArray<>(maxVersion + 1);
            totalTimeMs = histogram(REQUEST + "TotalTimeMs.request." + request,
                    "kafka.network:type=RequestMetrics,name=TotalTimeMs,request=" + request);
        }

        /** One request of {@code version} answered {@code nanos} after it was read. */
        public void completed(short version, long nanos) {
            if (version >= 0 && version < requestsPerVersion.length()) {
                Meter m = requestsPerVersion.get(version);
                if (m == null) {
                    requestsPerVersion.compareAndSet(version, null, meter(
                            REQUEST + "RequestsPerSec.request." + request + ".version." + version,
                            "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=" + request
                                    + ",version=" + version));
                    m = requestsPerVersion.get(version);
                }
                m.mark();
            }
            totalTimeMs.update(TimeUnit.NANOSECONDS.toMillis(nanos));
        }
    }
}
