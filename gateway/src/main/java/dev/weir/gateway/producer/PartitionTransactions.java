package dev.weir.gateway.producer;

import dev.weir.gateway.api.KafkaErrors;
import dev.weir.storage.Append;
import dev.weir.storage.Entry;
import dev.weir.storage.SegmentNotFoundException;
import dev.weir.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * What transactions mean for each partition: the first offset of every open transaction (the
 * last stable offset is the least of them, or the high watermark) and the index of aborted
 * transactions that read_committed fetches return. Both are segment attributes written in the
 * same commit as the data or marker that changes them; this class keeps a view of them in memory,
 * loaded per partition on first use.
 */
public final class PartitionTransactions {
    /** Attribute namespaces (ids are non-negative so that ranges list in order). */
    private static final long OPEN = 0x2000_0000_0000_0000L;
    private static final long ABORTED = 0x1000_0000_0000_0000L;
    private static final long NAMESPACE_SIZE = 0x1000_0000_0000_0000L;

    /** One aborted transaction of a partition: its producer, first offset and the offset of its abort marker. */
    public record Aborted(long producerId, long firstOffset, long lastOffset) {
    }

    private static final class State {
        final Map<Long, Long> open = new HashMap<>();
        final TreeMap<Long, Aborted> abortedByLast = new TreeMap<>();
    }

    private final SegmentStore store;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    public PartitionTransactions(SegmentStore store) {
        this.store = store;
    }

    static long openTransactionAttribute(long producerId) {
        return OPEN | (producerId & (NAMESPACE_SIZE - 1));
    }

    static long abortedFirstAttribute(long markerOffset) {
        return ABORTED | (markerOffset << 1);
    }

    static long abortedProducerAttribute(long markerOffset) {
        return ABORTED | (markerOffset << 1) | 1;
    }

    /**
     * Forgets what was read of every partition: in a cluster, when a container changes leader, what
     * this node knew of its partitions may be old; it is read again from their attributes.
     */
    public void forgetAll() {
        states.clear();
    }

    private State state(String segment) {
        return states.computeIfAbsent(segment, s -> {
            State st = new State();
            try {
                store.getAttributeRange(s, OPEN, OPEN + NAMESPACE_SIZE).join()
                        .forEach((id, first) -> st.open.put(id & (NAMESPACE_SIZE - 1), first));
                SortedMap<Long, Long> aborted = store.getAttributeRange(s, ABORTED, ABORTED + NAMESPACE_SIZE).join();
                aborted.forEach((id, value) -> {
                    if ((id & 1) == 0) {
                        long marker = (id & (NAMESPACE_SIZE - 1)) >>> 1;
                        Long producer = aborted.get(id | 1);
                        st.abortedByLast.put(marker, new Aborted(producer == null ? -1 : producer, value, marker));
                    }
                });
            } catch (RuntimeException e) {
                if (!(KafkaErrors.unwrap(e) instanceof SegmentNotFoundException)) {
                    throw e;
                }
            }
            return st;
        });
    }

    /** A transactional batch of the producer was appended at {@code baseOffset}. */
    public void appended(String segment, long producerId, long baseOffset) {
        State st = state(segment);
        synchronized (st) {
            st.open.putIfAbsent(producerId, baseOffset);
        }
    }

    /**
     * Where the store's sequencer tells that the producer's transaction starts in the partition (see
     * {@link ProducerStateCheck}): called before its first batch there can be read, so that no
     * read_committed fetch between the commit and the append's completion takes it for decided. The
     * partition's state is loaded here, on the caller's thread, never on the sequencer's.
     */
    public java.util.function.LongConsumer opening(String segment, long producerId) {
        State st = state(segment);
        return first -> {
            synchronized (st) {
                st.open.putIfAbsent(producerId, first);
            }
        };
    }

    /** The offset below which every transaction is decided, given the high watermark. */
    public long lastStableOffset(String segment, long highWatermark) {
        State st = states.get(segment);
        if (st == null) {
            st = state(segment);
        }
        synchronized (st) {
            long lso = highWatermark;
            for (long first : st.open.values()) {
                lso = Math.min(lso, first);
            }
            return lso;
        }
    }

    /** Aborted transactions that have data in {@code [from, to)}, ordered by first offset. */
    public List<Aborted> aborted(String segment, long from, long to) {
        State st = state(segment);
        List<Aborted> out = new ArrayList<>();
        synchronized (st) {
            for (Aborted a : st.abortedByLast.tailMap(from, true).values()) {
                if (a.firstOffset() < to) {
                    out.add(a);
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.firstOffset(), b.firstOffset()));
        return out;
    }

    /** Writes the producer's commit or abort marker into the partition; completes with the marker's offset. */
    public CompletableFuture<Long> writeMarker(String segment, long producerId, short epoch, boolean commit,
                                               int coordinatorEpoch) {
        long now = System.currentTimeMillis();
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(0L, now, RecordBatch.NO_PARTITION_LEADER_EPOCH,
                producerId, epoch, new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
                        coordinatorEpoch));
        ByteBuffer bytes = marker.buffer();
        Entry entry = new Entry(bytes, 1, now, (data, baseOffset) -> data.putLong(data.position(), baseOffset));
        State st = state(segment);
        return store.append(segment, Append.of(entry).withCondition(new TransactionMarkerCheck(producerId, epoch, commit)))
                .thenApply(result -> {
                    synchronized (st) {
                        Long first = st.open.remove(producerId);
                        if (!commit && first != null) {
                            st.abortedByLast.put(result.baseOffset(), new Aborted(producerId, first, result.baseOffset()));
                        }
                    }
                    return result.baseOffset();
                });
    }

    /** An active producer of a partition, with the start of its open transaction there (or -1). */
    public record ActiveProducer(long producerId, int epoch, int lastSequence, long lastWriteMs, long txnStartOffset) {
    }

    /** The producers the partition keeps state for (DescribeProducers). */
    public CompletableFuture<List<ActiveProducer>> producers(String segment) {
        return store.getAttributeRange(segment, ProducerStateCheck.firstAttribute(), ProducerStateCheck.endAttribute())
                .thenApply(attributes -> {
                    State st = state(segment);
                    List<ActiveProducer> out = new ArrayList<>();
                    synchronized (st) {
                        for (ProducerStateCheck.KnownProducer p : ProducerStateCheck.known(attributes)) {
                            out.add(new ActiveProducer(p.producerId(), p.epoch(), p.lastSequence(), p.lastWriteMs(),
                                    st.open.getOrDefault(p.producerId(), -1L)));
                        }
                    }
                    return out;
                });
    }

    /** Forgets a deleted partition. */
    public void forget(String segment) {
        states.remove(segment);
    }
}
