package dev.weir.gateway.watermark;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.storage.Append;
import dev.weir.storage.Entry;
import dev.weir.storage.ReadResult;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoredEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event-time watermarks ("time watermarks"), Pravega's controller role: produce requests report the
 * times writers note ({@code weir.note-time}) with the exact offsets their writes ended at; every
 * {@code watermarks.interval.ms} {@link #run()} computes each topic's next mark ({@link TopicWriters})
 * and appends it to the compacted topic {@value #TOPIC}, keyed by the topic's name.
 *
 * <p>Published marks are read back at start, so lower bounds and stream cuts never go backwards
 * across restarts; writers' noted times live in memory and are reported again as writers go on.
 */
public final class WatermarkService {
    public static final String TOPIC = TopicCatalog.WATERMARKS_TOPIC;
    private static final Logger log = LoggerFactory.getLogger(WatermarkService.class);

    /** A produced batch that noted a time, once appended: its writer, the time and where the batch ended. */
    public record Note(String topic, String writer, long time, int partition, long nextOffset) {
    }

    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final long writerTimeoutMs;
    private final Map<String, TopicWriters> writers = new HashMap<>();
    private final Map<String, TimeWatermark> published = new HashMap<>();
    /** Topics deleted since the last round, whose marks go (a tombstone) at the next one. */
    private final List<String> deleted = new ArrayList<>();
    /** Per connection, the notes of its latest request, so that notes apply in request order. */
    private final Map<String, CompletableFuture<Void>> inOrder = new HashMap<>();

    private WatermarkService(TopicCatalog catalog, SegmentStore store, long writerTimeoutMs) {
        this.catalog = catalog;
        this.store = store;
        this.writerTimeoutMs = writerTimeoutMs;
    }

    /** Creates {@value #TOPIC} if missing and reads the marks published before. */
    public static WatermarkService open(TopicCatalog catalog, SegmentStore store, long writerTimeoutMs) {
        WatermarkService service = new WatermarkService(catalog, store, writerTimeoutMs);
        catalog.onDeleted(service::topicDeleted);
        TopicMeta topic = store.replicated() ? service.awaitMarksTopic() : service.marksTopic();
        long offset = store.getInfo(topic.segment(0)).join().startOffset();
        while (true) {
            ReadResult r = store.read(topic.segment(0), offset, 1 << 20).join();
            if (r.entries().isEmpty()) {
                break;
            }
            for (StoredEntry e : r.entries()) {
                for (Record record : MemoryRecords.readableRecords(e.data()).records()) {
                    service.replay(record);
                }
                offset = e.lastOffset() + 1;
            }
        }
        log.info("Time watermarks: {} topics have marks in {}", service.published.size(), TOPIC);
        return service;
    }

    /** A deleted topic's writers and marks are forgotten at once: a new topic of that name starts afresh. */
    private synchronized void topicDeleted(TopicMeta topic) {
        writers.remove(topic.name());
        if (published.remove(topic.name()) != null) {
            deleted.add(topic.name());
        }
    }

    private void replay(Record record) {
        if (!record.hasKey()) {
            return;
        }
        String name = StandardCharsets.UTF_8.decode(record.key()).toString();
        if (!record.hasValue()) {
            published.remove(name);
            return;
        }
        try {
            published.put(name, TimeWatermark.fromJson(Utils.toArray(record.value())));
        } catch (IOException e) {
            log.warn("Ignoring an unreadable time watermark of topic {} at offset {}: {}", name, record.offset(),
                    e.getMessage());
        }
    }

    /**
     * Applies a request's notes once the request is done and the notes of the connection's earlier
     * requests are applied: a writer pipelining requests reports its times in the order it wrote them.
     */
    public void noteInOrder(String connectionId, CompletableFuture<?> requestDone, Collection<Note> notes) {
        synchronized (inOrder) {
            CompletableFuture<Void> previous = inOrder.getOrDefault(connectionId, CompletableFuture.completedFuture(null));
            CompletableFuture<Void> applied = previous.thenCombine(requestDone.handle((x, failure) -> null),
                    (a, b) -> {
                        note(notes, System.currentTimeMillis());
                        return null;
                    });
            inOrder.put(connectionId, applied);
            applied.whenComplete((x, failure) -> {
                synchronized (inOrder) {
                    inOrder.remove(connectionId, applied);
                }
            });
        }
    }

    private synchronized void note(Collection<Note> notes, long nowMs) {
        for (Note n : notes) {
            writers.computeIfAbsent(n.topic(), t -> new TopicWriters())
                    .note(n.writer(), n.time(), n.partition(), n.nextOffset(), nowMs);
        }
    }

    /**
     * One round: tombstones for deleted topics first (so a re-created topic's first mark is not
     * wiped), then the algorithm over every topic with writers, publishing the marks that are due.
     */
    public void run() {
        java.util.Optional<TopicMeta> marks = catalog.byName(TOPIC);
        if (marks.isEmpty() || !store.leads(marks.get().segment(0))) {
            return; // in a cluster, the node leading the marks' partition publishes them
        }
        List<String> gone;
        synchronized (this) {
            for (String name : published.keySet()) {
                if (catalog.byName(name).isEmpty() && !deleted.contains(name)) {
                    deleted.add(name); // deleted while the gateway was down
                }
            }
            gone = new ArrayList<>(deleted);
            deleted.clear();
        }
        for (int i = 0; i < gone.size(); i++) {
            String name = gone.get(i);
            try {
                publish(name, null);
                synchronized (this) {
                    if (catalog.byName(name).isEmpty()) {
                        published.remove(name);
                    }
                }
            } catch (RuntimeException e) {
                log.warn("Time watermarks: the tombstone of deleted topic {} failed and will be retried: {}", name,
                        e.toString());
                synchronized (this) {
                    deleted.addAll(gone.subList(i, gone.size()));
                }
                return;
            }
        }
        List<TimeWatermark> due = new ArrayList<>();
        List<org.apache.kafka.common.Uuid> dueIds = new ArrayList<>();
        synchronized (this) {
            long now = System.currentTimeMillis();
            for (var it = writers.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                Optional<TopicMeta> topic = catalog.byName(e.getKey());
                if (topic.isEmpty()) {
                    it.remove();
                    continue;
                }
                Optional<TimeWatermark> mark = e.getValue().next(e.getKey(), published.get(e.getKey()),
                        topic.get().partitions(), now, writerTimeoutMs);
                if (mark.isPresent()) {
                    due.add(mark.get());
                    dueIds.add(topic.get().id());
                }
                if (e.getValue().isEmpty()) {
                    it.remove();
                }
            }
        }
        for (int i = 0; i < due.size(); i++) {
            TimeWatermark mark = due.get(i);
            try {
                publish(mark.topic(), mark.toJson());
            } catch (RuntimeException e) {
                log.warn("Time watermarks: publishing the mark of {} failed and will be retried: {}", mark.topic(),
                        e.toString());
                return;
            }
            synchronized (this) {
                if (!catalog.byName(mark.topic()).map(TopicMeta::id).equals(Optional.of(dueIds.get(i)))) {
                    deleted.add(mark.topic()); // deleted (or re-created) while its mark was written
                    continue;
                }
                published.put(mark.topic(), mark);
                TopicWriters w = writers.get(mark.topic());
                if (w != null) {
                    w.published();
                }
            }
        }
    }

    private void publish(String topic, byte[] value) {
        long now = System.currentTimeMillis();
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(now, topic.getBytes(StandardCharsets.UTF_8), value));
        ByteBuffer bytes = records.buffer();
        Entry entry = new Entry(bytes, 1, now, (data, baseOffset) -> data.putLong(data.position(), baseOffset));
        store.append(marksTopic().segment(0), Append.of(entry)).join();
    }

    /**
     * In a cluster: the controller creates the topic and the leader of its partition's container
     * the segment; every other node waits until both have reached it.
     */
    private TopicMeta awaitMarksTopic() {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        while (true) {
            java.util.Optional<TopicMeta> topic = catalog.byName(TOPIC);
            if (topic.isEmpty() && catalog.isController()) {
                topic = java.util.Optional.of(marksTopic());
            }
            if (topic.isPresent() && store.exists(topic.get().segment(0)).join()) {
                return topic.get();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the topic " + TOPIC + " did not reach this node within 120 s");
            }
            if (topic.isPresent()) {
                catalog.reconcileSegments();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private TopicMeta marksTopic() {
        return catalog.byName(TOPIC).orElseGet(() -> {
            try {
                return catalog.create(TOPIC, 1, Map.of("cleanup.policy", "compact")).join();
            } catch (java.util.concurrent.CompletionException e) {
                return catalog.byName(TOPIC).orElseThrow(() -> e);
            }
        });
    }
}
