package dev.weir.gateway;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicConfigs;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.producer.KeyOffsetCheck;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.storage.Append;
import dev.weir.storage.AttributeUpdate;
import dev.weir.storage.Attributes;
import dev.weir.storage.EntryRewrite;
import dev.weir.storage.ReadResult;
import dev.weir.storage.SegmentInfo;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoredEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log compaction for topics with {@code cleanup.policy=compact}, as Kafka's cleaner does it: a
 * record stays only while it is its key's latest (which the keyed map's attributes already know),
 * offsets never change, a latest tombstone goes once {@code delete.retention.ms} has passed since
 * the cleaner first saw it, and only records older than {@code min.compaction.lag.ms} and below the
 * last stable offset are touched. A partition is cleaned once its uncleaned share of bytes reaches
 * {@code min.cleanable.dirty.ratio}, or its oldest uncleaned record is older than
 * {@code max.compaction.lag.ms}. Batches are rewritten with kafka-clients' own filter and replaced
 * in place in the store, so produce and fetch carry on throughout. Control batches are kept.
 */
final class LogCleaner {
    private static final Logger log = LoggerFactory.getLogger(LogCleaner.class);
    /** The first offset not yet cleaned, per partition. */
    private static final long CLEANED_UP_TO = 0x0400_0000_0000_0000L;
    /** When the earliest tombstone kept by the last pass may go: a pass is due then even without new data. */
    private static final long TOMBSTONES_DUE = CLEANED_UP_TO + 1;
    private static final int READ_BYTES = 1 << 20;

    private final TopicCatalog catalog;
    private final TopicConfigs configs;
    private final SegmentStore store;
    private final PartitionTransactions transactions;

    LogCleaner(TopicCatalog catalog, TopicConfigs configs, SegmentStore store, PartitionTransactions transactions) {
        this.catalog = catalog;
        this.configs = configs;
        this.store = store;
        this.transactions = transactions;
    }

    void run() {
        for (TopicMeta topic : catalog.all()) {
            TopicConfigs.Effective config = configs.effective(topic);
            if (!config.compacted()) {
                continue;
            }
            for (int p = 0; p < topic.partitions(); p++) {
                if (!store.leads(topic.segment(p))) {
                    continue; // the leader of its container compacts; followers apply its rewrites
                }
                try {
                    clean(topic.segment(p), config, System.currentTimeMillis());
                } catch (RuntimeException e) {
                    log.warn("Cleaning {}-{} failed; will retry at the next pass", topic.name(), p, e);
                }
            }
        }
    }

    /** One pass over one partition; the bytes freed. */
    long clean(String segment, TopicConfigs.Effective config, long now) {
        SegmentInfo info = store.getInfo(segment).join();
        long end = transactions.lastStableOffset(segment, info.nextOffset());
        Map<Long, Long> marks = store.getAttributes(segment, List.of(CLEANED_UP_TO, TOMBSTONES_DUE)).join();
        long cleanedUpTo = Math.max(info.startOffset(), marks.get(CLEANED_UP_TO));
        long tombstonesDue = marks.get(TOMBSTONES_DUE);
        boolean tombstonesExpired = tombstonesDue != Attributes.NULL_VALUE && now >= tombstonesDue;
        long lagHorizon = now - config.minCompactionLagMs();
        // The dirty part: what was appended since the last pass, as far as it may be cleaned now.
        long dirtyBytes = 0;
        long oldestDirty = Long.MAX_VALUE;
        long cleanableEnd = cleanedUpTo;
        for (long offset = cleanedUpTo; offset < end; ) {
            List<StoredEntry> entries = store.read(segment, offset, READ_BYTES).join().entries();
            if (entries.isEmpty()) {
                break;
            }
            boolean stop = false;
            for (StoredEntry e : entries) {
                if (e.lastOffset() >= end || e.maxTimestamp() > lagHorizon) {
                    stop = true;
                    break;
                }
                dirtyBytes += e.data().remaining();
                oldestDirty = Math.min(oldestDirty, e.maxTimestamp());
                cleanableEnd = e.lastOffset() + 1;
            }
            if (stop) {
                break;
            }
            offset = entries.get(entries.size() - 1).lastOffset() + 1;
        }
        boolean overdue = oldestDirty != Long.MAX_VALUE && now - oldestDirty > config.maxCompactionLagMs();
        boolean dirtyEnough = info.sizeBytes() > 0 && (double) dirtyBytes / info.sizeBytes() >= config.minCleanableDirtyRatio();
        if (!tombstonesExpired && (dirtyBytes == 0 || !(dirtyEnough || overdue))) {
            return 0;
        }
        long freed = 0;
        long[] nextDue = {Long.MAX_VALUE};
        for (long offset = info.startOffset(); offset < cleanableEnd; ) {
            ReadResult read = store.read(segment, offset, READ_BYTES).join();
            if (read.entries().isEmpty()) {
                break;
            }
            List<EntryRewrite> rewrites = new ArrayList<>();
            for (StoredEntry e : read.entries()) {
                if (e.lastOffset() >= cleanableEnd) {
                    break;
                }
                EntryRewrite r = filter(segment, e, config, now, nextDue, e.lastOffset() == info.nextOffset() - 1);
                if (r != null) {
                    rewrites.add(r);
                }
            }
            if (!rewrites.isEmpty()) {
                freed += store.rewriteEntries(segment, rewrites).join();
            }
            offset = read.entries().get(read.entries().size() - 1).lastOffset() + 1;
        }
        store.append(segment, new Append(List.of(), Append.ANY_OFFSET, List.of(
                AttributeUpdate.replace(CLEANED_UP_TO, cleanableEnd),
                AttributeUpdate.replace(TOMBSTONES_DUE, nextDue[0] == Long.MAX_VALUE ? Attributes.NULL_VALUE : nextDue[0]))))
                .join();
        if (freed > 0) {
            log.info("Compacted {} up to offset {}: {} bytes freed", segment, cleanableEnd, freed);
        }
        return freed;
    }

    /** The entry's batch without superseded records (and expired tombstones); null if nothing changes. */
    private EntryRewrite filter(String segment, StoredEntry entry, TopicConfigs.Effective config, long now,
                                long[] nextDue, boolean lastInLog) {
        MemoryRecords records = MemoryRecords.readableRecords(entry.data().duplicate());
        Map<Long, Long> latest = latestOffsets(segment, records);
        MemoryRecords.RecordFilter keep = new MemoryRecords.RecordFilter(now, config.deleteRetentionMs()) {
            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                // The log's last batch stays, if empty, so that consumers can still reach the log's end.
                return new BatchRetentionResult(batch.isControlBatch() || lastInLog ? BatchRetention.RETAIN_EMPTY
                        : BatchRetention.DELETE_EMPTY, false);
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                if (batch.isControlBatch() || !record.hasKey()) {
                    return true;
                }
                Long value = latest.get(KeyOffsetCheck.attribute(KeyOffsetCheck.hash(key(record))));
                if (value == null || KeyOffsetCheck.latestOffset(value) != record.offset()) {
                    return false; // a later record of the same key supersedes it
                }
                if (record.hasValue()) {
                    return true;
                }
                // A tombstone stays until delete.retention.ms after the cleaner first kept it.
                long horizon = batch.deleteHorizonMs().orElse(currentTime + deleteRetentionMs);
                if (horizon <= currentTime) {
                    return false;
                }
                nextDue[0] = Math.min(nextDue[0], horizon);
                return true;
            }
        };
        ByteBuffer out = ByteBuffer.allocate(entry.data().remaining());
        MemoryRecords.FilterResult result = records.filterTo(keep, out, BufferSupplier.NO_CACHING, Integer.MAX_VALUE);
        ByteBuffer filtered = result.outputBuffer().flip();
        if (filtered.remaining() == entry.data().remaining() && filtered.equals(entry.data().duplicate())) {
            return null;
        }
        return new EntryRewrite(entry.baseOffset(), entry.lastOffset(), filtered.remaining() == 0 ? null : filtered);
    }

    private Map<Long, Long> latestOffsets(String segment, MemoryRecords records) {
        Set<Long> ids = new HashSet<>();
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.isControlBatch()) {
                continue;
            }
            try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
                while (it.hasNext()) {
                    Record r = it.next();
                    if (r.hasKey()) {
                        ids.add(KeyOffsetCheck.attribute(KeyOffsetCheck.hash(key(r))));
                    }
                }
            }
        }
        Map<Long, Long> values = new java.util.HashMap<>(store.getAttributes(segment, ids).join());
        values.values().removeIf(v -> v == Attributes.NULL_VALUE);
        return values;
    }

    private static byte[] key(Record r) {
        byte[] key = new byte[r.keySize()];
        r.key().duplicate().get(key);
        return key;
    }
}
