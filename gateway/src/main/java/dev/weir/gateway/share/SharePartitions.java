package dev.weir.gateway.share;

import dev.weir.gateway.state.RecordBytes;
import dev.weir.gateway.state.RecordLog;
import dev.weir.storage.SegmentStore;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every share-partition of every share group, and their durable state: a log of records in one store
 * segment, each the whole state of one share-partition after a change (or its deletion), replayed
 * at start keeping the last per share-partition. A change is written before the answer that tells
 * it leaves (acquisitions included, so delivery counts survive a crash), and records are appended
 * under the share-partition's monitor, so the log's order is the change order.
 */
public final class SharePartitions {
    private static final Logger log = LoggerFactory.getLogger(SharePartitions.class);
    static final String SEGMENT = "__weir_share_state";
    private static final byte STATE = 1;
    private static final byte DELETED = 2;
    private static final long COMPACT_AFTER_RECORDS = 10_000;

    /** A share group's view of one topic partition. */
    public record Key(String groupId, Uuid topicId, int partition) {
    }

    /** One share-partition with the bookkeeping around its state. */
    static final class Entry {
        final Key key;
        final SharePartition state;
        ScheduledFuture<?> expiry;
        long expiryAt = Long.MAX_VALUE;

        Entry(Key key, SharePartition state) {
            this.key = key;
            this.state = state;
        }
    }

    private final RecordLog records;
    private final SegmentStore store;
    private final dev.weir.gateway.catalog.TopicCatalog catalog;
    private final ShareSettings.Source settings;
    private final ScheduledExecutorService timers;
    private final LongSupplier clock;
    private final Map<Key, Entry> partitions = new HashMap<>();
    /** Completed and replaced whenever records become available again (released, lock run out). */
    private CompletableFuture<Void> released = new CompletableFuture<>();

    private SharePartitions(SegmentStore store, dev.weir.gateway.catalog.TopicCatalog catalog,
                            ShareSettings.Source settings, ScheduledExecutorService timers, LongSupplier clock) {
        this.store = store;
        this.catalog = catalog;
        this.settings = settings;
        this.timers = timers;
        this.clock = clock;
        Map<Key, byte[]> loaded = new LinkedHashMap<>();
        this.records = RecordLog.open(store, SEGMENT, record -> replay(record, loaded));
        loaded.forEach((key, bytes) -> {
            int limit = settings.of(key.groupId()).deliveryCountLimit();
            partitions.put(key, new Entry(key, RecordBytes.decode(bytes, in -> SharePartition.read(in, limit))));
        });
        if (records.replayed() > COMPACT_AFTER_RECORDS + 2L * partitions.size()) {
            List<ByteBuffer> live = new ArrayList<>();
            partitions.values().forEach(e -> live.add(ByteBuffer.wrap(encodeState(e))));
            records.rewrite(live);
            log.info("Compacted the share-state log from {} to {} records", records.replayed(), live.size());
        }
    }

    public static SharePartitions open(SegmentStore store, dev.weir.gateway.catalog.TopicCatalog catalog,
                                       ShareSettings.Source settings, ScheduledExecutorService timers) {
        SharePartitions partitions = new SharePartitions(store, catalog, settings, timers, System::currentTimeMillis);
        catalog.onDeleted(topic -> partitions.topicDeleted(topic.id()));
        return partitions;
    }

    /** Initializes the group's share-partitions that have no state yet (a member is about to hear of them). */
    public CompletableFuture<Void> initialize(String groupId, Map<Uuid, Set<Integer>> assigned) {
        List<CompletableFuture<Entry>> all = new ArrayList<>();
        assigned.forEach((topicId, ps) -> catalog.byId(topicId).ifPresent(topic -> {
            for (int p : ps) {
                Key key = new Key(groupId, topicId, p);
                if (get(key) == null) {
                    all.add(getOrInitialize(key, topic.segment(p)));
                }
            }
        }));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    ShareSettings settings(String groupId) {
        return settings.of(groupId);
    }

    long now() {
        return clock.getAsLong();
    }

    /** The share-partition, or null when it was never initialized. */
    synchronized Entry get(Key key) {
        return partitions.get(key);
    }

    /**
     * The share-partition, initialized (and written) when it has no state yet at the offset
     * {@code share.auto.offset.reset} gives; the future completes once that state is durable.
     */
    CompletableFuture<Entry> getOrInitialize(Key key, String segment) {
        Entry known = get(key);
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        return store.getInfo(segment).thenCompose(info -> initialStart(segment, info, settings.of(key.groupId())))
                .thenCompose(start -> {
            Entry e;
            synchronized (this) {
                e = partitions.get(key);
                if (e != null) {
                    return CompletableFuture.completedFuture(e);
                }
                e = new Entry(key, new SharePartition(start));
                partitions.put(key, e);
            }
            Entry created = e;
            synchronized (created) {
                return save(created).thenApply(v -> created);
            }
        });
    }

    /** Where a share-partition starts when the group first reads it: {@code share.auto.offset.reset}. */
    private CompletableFuture<Long> initialStart(String segment, dev.weir.storage.SegmentInfo info, ShareSettings s) {
        String reset = s.autoOffsetReset().trim().toLowerCase(java.util.Locale.ROOT);
        if ("earliest".equals(reset)) {
            return CompletableFuture.completedFuture(info.startOffset());
        }
        if (reset.startsWith("by_duration:")) {
            long since = now() - java.time.Duration.parse(reset.substring("by_duration:".length())).toMillis();
            return store.findOffsetByTimestamp(segment, since).thenApply(found ->
                    found == null || found < 0 ? info.nextOffset() : Math.max(found, info.startOffset()));
        }
        return CompletableFuture.completedFuture(info.nextOffset());
    }

    /** Writes the share-partition's state; the caller holds its monitor, so writes keep the change order. */
    CompletableFuture<Void> save(Entry e) {
        scheduleExpiry(e);
        return records.append(ByteBuffer.wrap(encodeState(e)));
    }

    /** The share-partitions of a group, by topic and partition. */
    synchronized Map<Uuid, Map<Integer, Entry>> ofGroup(String groupId) {
        Map<Uuid, Map<Integer, Entry>> out = new TreeMap<>();
        partitions.forEach((k, e) -> {
            if (k.groupId().equals(groupId)) {
                out.computeIfAbsent(k.topicId(), t -> new TreeMap<>()).put(k.partition(), e);
            }
        });
        return out;
    }

    /** The share-partitions of a group with state. */
    public synchronized Set<Key> keys(String groupId) {
        Set<Key> out = new java.util.TreeSet<>(java.util.Comparator.comparing((Key k) -> k.topicId().toString())
                .thenComparingInt(Key::partition));
        partitions.keySet().forEach(k -> {
            if (k.groupId().equals(groupId)) {
                out.add(k);
            }
        });
        return out;
    }

    /** A share-partition's start offset and how many offsets past it are already done; empty without state. */
    public java.util.Optional<long[]> offsets(Key key) {
        Entry e = get(key);
        if (e == null) {
            return java.util.Optional.empty();
        }
        synchronized (e) {
            long done = 0;
            for (long[] run : e.state.runs()) {
                if (run[2] == SharePartition.ACKNOWLEDGED || run[2] == SharePartition.ARCHIVED) {
                    done += run[1] - run[0] + 1;
                }
            }
            return java.util.Optional.of(new long[] {e.state.startOffset(), done});
        }
    }

    /** Sets a share-partition's start offset (an admin's reset; the group has no members): its window starts anew. */
    public CompletableFuture<Void> reset(Key key, long startOffset) {
        Entry e;
        synchronized (this) {
            Entry old = partitions.get(key);
            if (old != null && old.expiry != null) {
                old.expiry.cancel(false);
            }
            e = new Entry(key, new SharePartition(startOffset));
            partitions.put(key, e);
        }
        synchronized (e) {
            return save(e);
        }
    }

    /** Removes the share-partitions of a group (all of them when {@code only} is null); durable on completion. */
    public CompletableFuture<Void> delete(String groupId, Set<Key> only) {
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        synchronized (this) {
            for (Entry e : new ArrayList<>(partitions.values())) {
                if (e.key.groupId().equals(groupId) && (only == null || only.contains(e.key))) {
                    partitions.remove(e.key);
                    synchronized (e) {
                        if (e.expiry != null) {
                            e.expiry.cancel(false);
                        }
                        writes.add(records.append(ByteBuffer.wrap(encodeDeleted(e.key))));
                    }
                }
            }
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
    }

    /** Removes every group's share-partitions of a deleted topic. */
    private void topicDeleted(Uuid topicId) {
        Set<String> groups = new java.util.HashSet<>();
        synchronized (this) {
            partitions.keySet().forEach(k -> {
                if (k.topicId().equals(topicId)) {
                    groups.add(k.groupId());
                }
            });
        }
        for (String g : groups) {
            Set<Key> keys = new java.util.HashSet<>();
            synchronized (this) {
                partitions.keySet().stream().filter(k -> k.groupId().equals(g) && k.topicId().equals(topicId))
                        .forEach(keys::add);
            }
            delete(g, keys);
        }
    }

    /** Releases what a member holds in the given share-partitions (its share session ended). */
    CompletableFuture<Void> releaseMember(String groupId, String memberId, Iterable<Key> keys) {
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        boolean any = false;
        for (Key key : keys) {
            Entry e = get(key);
            if (e == null) {
                continue;
            }
            synchronized (e) {
                if (e.state.releaseMember(memberId, settings.of(groupId).deliveryCountLimit())) {
                    writes.add(save(e));
                    any = true;
                }
            }
        }
        if (any) {
            signalReleased();
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
    }

    /** Completes when records are next made available again by a release or a lock running out. */
    synchronized CompletableFuture<Void> nextRelease() {
        return released;
    }

    void signalReleased() {
        CompletableFuture<Void> done;
        synchronized (this) {
            done = released;
            released = new CompletableFuture<>();
        }
        done.complete(null);
    }

    private void scheduleExpiry(Entry e) {
        long next = e.state.nextDeadline();
        if (next == e.expiryAt) {
            return;
        }
        if (e.expiry != null) {
            e.expiry.cancel(false);
            e.expiry = null;
        }
        e.expiryAt = next;
        if (next != Long.MAX_VALUE) {
            e.expiry = timers.schedule(() -> expire(e), Math.max(0, next - now()), TimeUnit.MILLISECONDS);
        }
    }

    private void expire(Entry e) {
        boolean changed;
        synchronized (e) {
            e.expiryAt = Long.MAX_VALUE;
            e.expiry = null;
            changed = e.state.releaseExpired(now(), settings.of(e.key.groupId()).deliveryCountLimit());
            if (changed) {
                save(e).exceptionally(failure -> {
                    log.warn("Could not write the state of share-partition {} after its locks ran out: {}", e.key,
                            failure.toString());
                    return null;
                });
            } else {
                scheduleExpiry(e);
            }
        }
        if (changed) {
            signalReleased();
        }
    }

    // ---------------------------------------------------------------- encoding

    private static byte[] encodeState(Entry e) {
        return RecordBytes.encode(out -> {
            out.writeByte(STATE);
            writeKey(out, e.key);
            byte[] state = RecordBytes.encode(e.state::write);
            out.writeInt(state.length);
            out.write(state);
        });
    }

    private static byte[] encodeDeleted(Key key) {
        return RecordBytes.encode(out -> {
            out.writeByte(DELETED);
            writeKey(out, key);
        });
    }

    private static void writeKey(DataOutputStream out, Key key) throws IOException {
        out.writeUTF(key.groupId());
        out.writeLong(key.topicId().getMostSignificantBits());
        out.writeLong(key.topicId().getLeastSignificantBits());
        out.writeInt(key.partition());
    }

    private static void replay(ByteBuffer record, Map<Key, byte[]> loaded) {
        byte[] b = new byte[record.remaining()];
        record.duplicate().get(b);
        RecordBytes.decode(b, in -> {
            byte type = in.readByte();
            Key key = new Key(in.readUTF(), new Uuid(in.readLong(), in.readLong()), in.readInt());
            loaded.remove(key);
            if (type == STATE) {
                loaded.put(key, in.readNBytes(in.readInt()));
            }
            return null;
        });
    }
}
