package dev.weir.gateway.catalog;

import dev.weir.gateway.state.RecordLog;
import dev.weir.storage.SegmentExistsException;
import dev.weir.storage.SegmentNotFoundException;
import dev.weir.storage.SegmentStore;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topics and their partitions, mapped onto store segments. Its state is a log of
 * {@link CatalogRecord}s in one store segment, replayed at start. Changes are serialized on one
 * thread and applied to memory only after their record is durable; reads are lock-free.
 */
public final class TopicCatalog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicCatalog.class);
    /** The catalog's log; in a cluster all the gateway's state lives in the container this one does. */
    public static final String CATALOG_SEGMENT = "__weir_catalog";
    private static final long PRODUCER_ID_BLOCK = 1000;

    private final SegmentStore store;
    private final ExecutorService changes = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "weir-catalog");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, TopicMeta> byName = new ConcurrentHashMap<>();
    private final Map<Uuid, TopicMeta> byId = new ConcurrentHashMap<>();
    private final Map<Uuid, String> namesById = new ConcurrentHashMap<>();
    private RecordLog records;
    private volatile String clusterId;
    private long nextProducerId;
    private long reservedProducerIds;
    private volatile NodeProducerIds nodeProducerIds;

    private TopicCatalog(SegmentStore store) {
        this.store = store;
    }

    /** Replays the catalog segment, creating it on first start; makes sure every partition has its segment. */
    private final List<java.util.function.Consumer<TopicMeta>> deletionListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Calls {@code listener} with each topic deleted from now on, before a topic of the same name can be created. */
    public void onDeleted(java.util.function.Consumer<TopicMeta> listener) {
        deletionListeners.add(listener);
    }

    /** The compacted topic the time watermarks are published to. */
    public static final String WATERMARKS_TOPIC = "__weir_watermarks";

    /** Topics the gateway writes itself: clients read them, as Kafka's internal topics, but do not produce to them. */
    public static boolean isInternal(String name) {
        return WATERMARKS_TOPIC.equals(name);
    }

    public static TopicCatalog open(SegmentStore store, String configuredClusterId) {
        TopicCatalog catalog = new TopicCatalog(store);
        catalog.records = RecordLog.open(store, CATALOG_SEGMENT, b -> catalog.apply(CatalogRecord.decode(b)));
        catalog.records.follow(b -> catalog.applyFollowed(CatalogRecord.decode(b)), catalog.changes);
        catalog.onChangeThread(() -> {
            if (store.replicated() && !store.leads(CATALOG_SEGMENT)) {
                // the catalog's leader writes the cluster id; every node is configured with the same one
                if (catalog.clusterId == null) {
                    catalog.clusterId = configuredClusterId;
                }
            } else if (catalog.clusterId == null || (!configuredClusterId.isBlank() && !configuredClusterId.equals(catalog.clusterId))) {
                String id = configuredClusterId.isBlank() ? Uuid.randomUuid().toString() : configuredClusterId;
                catalog.write(new CatalogRecord.ClusterIdSet(id));
            }
            for (TopicMeta t : catalog.byName.values()) {
                catalog.ensureSegments(t, 0);
            }
            return null;
        }).join();
        log.info("Catalog loaded: {} topics, cluster id {}", catalog.byName.size(), catalog.clusterId);
        return catalog;
    }

    private void apply(CatalogRecord record) {
        if (record instanceof CatalogRecord.TopicUpserted u) {
            TopicMeta old = byName.put(u.topic().name(), u.topic());
            if (old != null && !old.id().equals(u.topic().id())) {
                byId.remove(old.id());
                namesById.remove(old.id());
            }
            byId.put(u.topic().id(), u.topic());
            namesById.put(u.topic().id(), u.topic().name());
        } else if (record instanceof CatalogRecord.TopicDeleted d) {
            byName.remove(d.name());
            byId.remove(d.id());
            namesById.remove(d.id());
        } else if (record instanceof CatalogRecord.ClusterIdSet c) {
            clusterId = c.clusterId();
        } else if (record instanceof CatalogRecord.ProducerIdsReserved p) {
            reservedProducerIds = p.nextUnused();
            nextProducerId = p.nextUnused();
        }
    }

    /** True unless this node is one of a cluster's and does not lead the catalog's container. */
    public boolean isController() {
        return !store.replicated() || store.leads(CATALOG_SEGMENT);
    }

    /** Catalog changes are the controller's, as in Kafka: elsewhere they fail with NOT_CONTROLLER. */
    private void requireController() {
        if (!isController()) {
            throw new org.apache.kafka.common.errors.NotControllerException("This node is not the controller.");
        }
    }

    /** Appends the record durably, then applies it. Runs on the change thread only. */
    private void write(CatalogRecord record) {
        records.append(CatalogRecord.encode(record)).join();
        apply(record);
    }

    private <T> CompletableFuture<T> onChangeThread(Supplier<T> change) {
        return CompletableFuture.supplyAsync(change, changes);
    }

    /**
     * A catalog change written by another node (in a cluster): applied here too, and the partition
     * segments this node leads are created or deleted with it.
     */
    private void applyFollowed(CatalogRecord record) {
        TopicMeta deleted = record instanceof CatalogRecord.TopicDeleted d ? byId.get(d.id()) : null;
        apply(record);
        if (record instanceof CatalogRecord.TopicUpserted u) {
            ensureSegments(u.topic(), 0);
        } else if (deleted != null) {
            deleteSegments(deleted);
            deletionListeners.forEach(l -> l.accept(deleted));
        }
    }

    /**
     * In a cluster, each partition's segment is created by the leader of its container: at topic
     * creation by whichever node leads it, later by a node that gains the lead of a container
     * whose segments are missing. Runs on the change thread.
     */
    public void reconcileSegments() {
        onChangeThread(() -> {
            for (TopicMeta t : byName.values()) {
                ensureSegments(t, 0);
            }
            return null;
        });
    }

    private void deleteSegments(TopicMeta topic) {
        for (int p = 0; p < topic.partitions(); p++) {
            if (!store.leads(topic.segment(p))) {
                continue;
            }
            try {
                store.deleteSegment(topic.segment(p)).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof SegmentNotFoundException)) {
                    log.warn("Deleting segment {} of topic {} failed: {}", topic.segment(p), topic.name(), e.getCause().toString());
                }
            }
        }
    }

    private void ensureSegments(TopicMeta topic, int fromPartition) {
        for (int p = fromPartition; p < topic.partitions(); p++) {
            if (!store.leads(topic.segment(p)) || store.exists(topic.segment(p)).join()) {
                continue; // its container's leader creates it
            }
            try {
                store.createSegment(topic.segment(p)).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof SegmentExistsException)) {
                    throw e;
                }
            }
        }
    }

    public String clusterId() {
        return clusterId;
    }

    public Optional<TopicMeta> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Optional<TopicMeta> byId(Uuid id) {
        return Optional.ofNullable(byId.get(id));
    }

    public Collection<TopicMeta> all() {
        return List.copyOf(byName.values());
    }

    /** Names by id of every topic, a live read-only view; kafka-clients' fetch parsing wants this map. */
    public Map<Uuid, String> topicNames() {
        return java.util.Collections.unmodifiableMap(namesById);
    }

    /**
     * Creates a topic with its partition segments. Fails with {@link TopicExistsException} if the
     * name is taken, including by a name that differs only in '.' versus '_' (Kafka's metric-name rule).
     */
    public CompletableFuture<TopicMeta> create(String name, int partitions, Map<String, String> configs) {
        return onChangeThread(() -> {
            requireController();
            checkCreatable(name);
            TopicMeta topic = new TopicMeta(name, newTopicId(), partitions, configs);
            ensureSegments(topic, 0);
            write(new CatalogRecord.TopicUpserted(topic));
            log.info("Created topic {} ({} partitions, id {})", name, partitions, topic.id());
            return topic;
        });
    }

    /** Throws if a topic of this name, or one colliding with it, exists. */
    public void checkCreatable(String name) {
        if (byName.containsKey(name)) {
            throw new TopicExistsException("Topic '" + name + "' already exists.");
        }
        String unified = name.replace('.', '_');
        for (String existing : byName.keySet()) {
            if (existing.replace('.', '_').equals(unified)) {
                throw new org.apache.kafka.common.errors.InvalidTopicException("Topic '" + name
                        + "' collides with existing topic: " + existing);
            }
        }
    }

    private Uuid newTopicId() {
        Uuid id;
        do {
            id = Uuid.randomUuid();
        } while (byId.containsKey(id));
        return id;
    }

    public CompletableFuture<TopicMeta> delete(String name) {
        return onChangeThread(() -> {
            requireController();
            TopicMeta topic = byName.get(name);
            if (topic == null) {
                throw new UnknownTopicOrPartitionException("This server does not host this topic-partition.");
            }
            write(new CatalogRecord.TopicDeleted(topic.name(), topic.id()));
            deleteSegments(topic);
            log.info("Deleted topic {} (id {})", name, topic.id());
            deletionListeners.forEach(l -> l.accept(topic));
            return topic;
        });
    }

    public CompletableFuture<TopicMeta> addPartitions(String name, int newCount) {
        return onChangeThread(() -> {
            requireController();
            TopicMeta topic = byName.get(name);
            if (topic == null) {
                throw new UnknownTopicOrPartitionException("This server does not host this topic-partition.");
            }
            if (newCount <= topic.partitions()) {
                throw new InvalidPartitionsException("Topic currently has " + topic.partitions()
                        + " partitions, which is higher than the requested " + newCount + ".");
            }
            TopicMeta grown = topic.withPartitions(newCount);
            ensureSegments(grown, topic.partitions());
            write(new CatalogRecord.TopicUpserted(grown));
            log.info("Topic {} grown to {} partitions", name, newCount);
            return grown;
        });
    }

    /**
     * Changes a topic's config overrides: {@code change} maps the current overrides to the new ones
     * (and may throw to refuse); it runs serialized with every other catalog change.
     */
    public CompletableFuture<TopicMeta> changeConfigs(String name, UnaryOperator<Map<String, String>> change) {
        return onChangeThread(() -> {
            requireController();
            TopicMeta topic = byName.get(name);
            if (topic == null) {
                throw new UnknownTopicOrPartitionException("This server does not host this topic-partition.");
            }
            Map<String, String> overrides = change.apply(new java.util.LinkedHashMap<>(topic.configOverrides()));
            TopicMeta changed = topic.withConfigs(overrides);
            write(new CatalogRecord.TopicUpserted(changed));
            log.info("Topic {} configs now {}", name, overrides);
            return changed;
        });
    }

    /** In a cluster: producer ids come from this node's own range (see {@link NodeProducerIds}). */
    public void useNodeProducerIds(java.nio.file.Path dataDir, int nodeId) {
        nodeProducerIds = new NodeProducerIds(dataDir, nodeId);
    }

    /** A producer id never handed out before, even across restarts. */
    public CompletableFuture<Long> nextProducerId() {
        NodeProducerIds own = nodeProducerIds;
        if (own != null) {
            return CompletableFuture.supplyAsync(own::next, changes);
        }
        return onChangeThread(() -> {
            if (nextProducerId >= reservedProducerIds) {
                write(new CatalogRecord.ProducerIdsReserved(nextProducerId + PRODUCER_ID_BLOCK));
                nextProducerId = reservedProducerIds - PRODUCER_ID_BLOCK;
            }
            return nextProducerId++;
        });
    }

    @Override
    public void close() {
        changes.shutdown();
    }
}
