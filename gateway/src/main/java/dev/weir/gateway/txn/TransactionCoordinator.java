package dev.weir.gateway.txn;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.group.CommittedOffsets;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.state.RecordLog;
import dev.weir.storage.SegmentStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's transaction coordinator (the pre-KIP-890 protocol, "transaction.version" 1): producer ids
 * and epochs per transactional id, the partitions and group offsets of each open transaction, and
 * its end: commit or abort markers written into every partition, then the offsets applied. Its
 * state is a log of records (a snapshot of one transactional id per record) in a store segment,
 * replayed at start; a transaction found half-ended is finished then. Changes are serialized on
 * this object's monitor; marker writes happen outside it.
 */
public final class TransactionCoordinator {
    private static final Logger log = LoggerFactory.getLogger(TransactionCoordinator.class);
    static final String SEGMENT = "__weir_transaction_state";
    /** Markers carry the coordinator's epoch; there is one coordinator, always the same. */
    private static final int COORDINATOR_EPOCH = 0;

    public enum State {
        EMPTY("Empty"), ONGOING("Ongoing"), PREPARE_COMMIT("PrepareCommit"), PREPARE_ABORT("PrepareAbort"),
        COMPLETE_COMMIT("CompleteCommit"), COMPLETE_ABORT("CompleteAbort");

        public final String kafkaName;

        State(String kafkaName) {
            this.kafkaName = kafkaName;
        }
    }

    /** One transactional id's state. */
    static final class Txn {
        final String id;
        long producerId;
        short epoch;
        short lastEpoch = -1;
        int timeoutMs;
        State state = State.EMPTY;
        long startMs = -1;
        final Set<TopicPartition> partitions = new TreeSet<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        final Map<String, Map<TopicPartition, CommittedOffsets.Committed>> offsets = new LinkedHashMap<>();

        Txn(String id) {
            this.id = id;
        }
    }

    public record InitResult(Errors error, long producerId, short epoch) {
    }

    /** EndTxn's answer; from transactions V2 on, with the producer id and epoch to use next. */
    public record EndResult(Errors error, long producerId, short epoch) {
        static EndResult of(Errors error) {
            return new EndResult(error, -1, (short) -1);
        }
    }

    public record Description(String transactionalId, String state, int timeoutMs, long startMs, long producerId,
                              short epoch, List<TopicPartition> partitions) {
    }

    private final TopicCatalog catalog;
    private final PartitionTransactions partitions;
    private final CommittedOffsets offsets;
    private final int maxTimeoutMs;
    private final Map<String, Txn> txns = new HashMap<>();
    private final Map<Long, Txn> byProducerId = new HashMap<>();
    private RecordLog records;

    private TransactionCoordinator(TopicCatalog catalog, PartitionTransactions partitions, CommittedOffsets offsets,
                                   int maxTimeoutMs) {
        this.catalog = catalog;
        this.partitions = partitions;
        this.offsets = offsets;
        this.maxTimeoutMs = maxTimeoutMs;
    }

    /** Replays the transaction log and finishes any transaction that was ending when the gateway stopped. */
    public static TransactionCoordinator open(SegmentStore store, TopicCatalog catalog, PartitionTransactions partitions,
                                              CommittedOffsets offsets, int maxTimeoutMs) {
        TransactionCoordinator c = new TransactionCoordinator(catalog, partitions, offsets, maxTimeoutMs);
        c.records = RecordLog.open(store, SEGMENT, c::replay);
        List<Txn> ending;
        synchronized (c) {
            ending = c.txns.values().stream()
                    .filter(t -> t.state == State.PREPARE_COMMIT || t.state == State.PREPARE_ABORT).toList();
        }
        ending.forEach(t -> c.complete(t).join());
        log.info("Transaction state loaded: {} transactional ids, {} ending transactions finished", c.txns.size(),
                ending.size());
        return c;
    }

    // ---------------------------------------------------------------- InitProducerId

    public CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs, long producerId,
                                                        short producerEpoch) {
        if (timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
            return done(new InitResult(Errors.INVALID_TRANSACTION_TIMEOUT, -1, (short) -1));
        }
        Txn txn;
        synchronized (this) {
            txn = txns.get(transactionalId);
            if (txn != null) {
                if (producerId != -1 && !(producerId == txn.producerId
                        && (producerEpoch == txn.epoch || producerEpoch == txn.lastEpoch))) {
                    return done(new InitResult(Errors.PRODUCER_FENCED, -1, (short) -1));
                }
                if (txn.state == State.PREPARE_COMMIT || txn.state == State.PREPARE_ABORT) {
                    return done(new InitResult(Errors.CONCURRENT_TRANSACTIONS, -1, (short) -1));
                }
                txn.timeoutMs = timeoutMs;
                if (txn.state == State.ONGOING) {
                    // A new incarnation of the producer: fence the old one and abort what it left open.
                    log.info("Transactional id {}: a new producer fences epoch {} and aborts its open transaction",
                            transactionalId, txn.epoch);
                    return fenceAndAbort(txn).thenApply(v -> {
                        synchronized (this) {
                            txn.state = State.EMPTY;
                            save(txn);
                            return new InitResult(Errors.NONE, txn.producerId, txn.epoch);
                        }
                    });
                }
                bumpEpoch(txn);
                txn.state = State.EMPTY;
                CompletableFuture<Void> saved = save(txn);
                InitResult result = new InitResult(Errors.NONE, txn.producerId, txn.epoch);
                return saved.thenApply(v -> result);
            }
        }
        return catalog.nextProducerId().thenCompose(id -> {
            synchronized (this) {
                Txn created = txns.get(transactionalId);
                if (created != null) {
                    return initProducerId(transactionalId, timeoutMs, producerId, producerEpoch);
                }
                Txn t = new Txn(transactionalId);
                t.producerId = id;
                t.timeoutMs = timeoutMs;
                txns.put(transactionalId, t);
                byProducerId.put(id, t);
                InitResult result = new InitResult(Errors.NONE, id, (short) 0);
                return save(t).thenApply(v -> result);
            }
        });
    }

    /** The next epoch; a new producer id once the epoch is exhausted (KIP-360). */
    private void bumpEpoch(Txn txn) {
        txn.lastEpoch = txn.epoch;
        if (txn.epoch >= Short.MAX_VALUE - 1) {
            byProducerId.remove(txn.producerId);
            txn.producerId = catalog.nextProducerId().join();
            byProducerId.put(txn.producerId, txn);
            txn.epoch = 0;
            txn.lastEpoch = -1;
        } else {
            txn.epoch++;
        }
    }

    /** Bumps the epoch (fencing the current producer) and aborts the open transaction with markers of the new epoch. */
    private CompletableFuture<Void> fenceAndAbort(Txn txn) {
        synchronized (this) {
            if (txn.epoch >= Short.MAX_VALUE - 1) {
                txn.epoch = (short) (Short.MAX_VALUE - 2);
            }
            txn.lastEpoch = txn.epoch;
            txn.epoch++;
            txn.state = State.PREPARE_ABORT;
            return save(txn).thenCompose(v -> complete(txn));
        }
    }

    // ---------------------------------------------------------------- AddPartitionsToTxn, AddOffsetsToTxn

    /** Checks that the request comes from the transactional id's current producer; NONE if so. */
    private Errors check(Txn txn, long producerId, short epoch) {
        if (txn == null || txn.producerId != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (txn.epoch != epoch) {
            return Errors.PRODUCER_FENCED;
        }
        if (txn.state == State.PREPARE_COMMIT || txn.state == State.PREPARE_ABORT) {
            return Errors.CONCURRENT_TRANSACTIONS;
        }
        return Errors.NONE;
    }

    private void begin(Txn txn) {
        if (txn.state != State.ONGOING) {
            txn.state = State.ONGOING;
            txn.startMs = System.currentTimeMillis();
        }
    }

    /** Adds partitions to the transaction; the error for all of them (they succeed or fail together). */
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short epoch,
                                                   Collection<TopicPartition> added) {
        synchronized (this) {
            Txn txn = txns.get(transactionalId);
            Errors e = check(txn, producerId, epoch);
            if (e != Errors.NONE) {
                return done(e);
            }
            if (txn.state == State.ONGOING && txn.partitions.containsAll(added)) {
                return done(Errors.NONE);
            }
            begin(txn);
            txn.partitions.addAll(added);
            return save(txn).thenApply(v -> Errors.NONE);
        }
    }

    /** Whether the partitions are part of the producer's open transaction (AddPartitionsToTxn verifyOnly). */
    public synchronized Errors verify(String transactionalId, long producerId, short epoch, TopicPartition tp) {
        Txn txn = txns.get(transactionalId);
        Errors e = check(txn, producerId, epoch);
        if (e != Errors.NONE) {
            return e;
        }
        // As Kafka: a partition outside the open transaction means the transaction must abort.
        return txn.state == State.ONGOING && txn.partitions.contains(tp) ? Errors.NONE : Errors.TRANSACTION_ABORTABLE;
    }

    /** The check of a transactional produce: the producer's current epoch, with the partition in its open transaction. */
    public synchronized Errors verifyProduce(long producerId, short epoch, TopicPartition tp) {
        Txn txn = byProducerId.get(producerId);
        if (txn == null) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch < txn.epoch) {
            return Errors.INVALID_PRODUCER_EPOCH;
        }
        return txn.epoch == epoch && txn.state == State.ONGOING && txn.partitions.contains(tp) ? Errors.NONE
                : Errors.INVALID_TXN_STATE;
    }

    /**
     * Transactions V2 (KIP-890): a transactional produce (v12+) adds its partition to the producer's
     * transaction itself, starting one if none is open. Completes once that is durable.
     */
    public CompletableFuture<Errors> addImplicitly(long producerId, short epoch, TopicPartition tp) {
        synchronized (this) {
            Txn txn = byProducerId.get(producerId);
            if (txn == null) {
                return done(Errors.INVALID_PRODUCER_ID_MAPPING);
            }
            if (epoch < txn.epoch) {
                return done(Errors.INVALID_PRODUCER_EPOCH);
            }
            Errors e = check(txn, producerId, epoch);
            if (e != Errors.NONE) {
                return done(e);
            }
            if (txn.state == State.ONGOING && txn.partitions.contains(tp)) {
                return done(Errors.NONE);
            }
            begin(txn);
            txn.partitions.add(tp);
            return save(txn).thenApply(v -> Errors.NONE);
        }
    }

    public CompletableFuture<Errors> addOffsets(String transactionalId, long producerId, short epoch, String groupId) {
        synchronized (this) {
            Txn txn = txns.get(transactionalId);
            Errors e = check(txn, producerId, epoch);
            if (e != Errors.NONE) {
                return done(e);
            }
            begin(txn);
            txn.offsets.computeIfAbsent(groupId, g -> new LinkedHashMap<>());
            return save(txn).thenApply(v -> Errors.NONE);
        }
    }

    /** TxnOffsetCommit: offsets that the group gets if, and when, the transaction commits. */
    public CompletableFuture<Errors> stageOffsets(String transactionalId, long producerId, short epoch, String groupId,
                                                  Map<TopicPartition, CommittedOffsets.Committed> staged,
                                                  boolean addsGroup) {
        synchronized (this) {
            Txn txn = txns.get(transactionalId);
            Errors e = check(txn, producerId, epoch);
            if (e != Errors.NONE) {
                return done(e);
            }
            if (addsGroup) {
                // Transactions V2: TxnOffsetCommit adds the group itself.
                begin(txn);
                txn.offsets.computeIfAbsent(groupId, g -> new LinkedHashMap<>());
            }
            if (txn.state != State.ONGOING || !txn.offsets.containsKey(groupId)) {
                // The group must have been added with AddOffsetsToTxn first.
                return done(Errors.INVALID_TXN_STATE);
            }
            txn.offsets.get(groupId).putAll(staged);
            return save(txn).thenApply(v -> Errors.NONE);
        }
    }

    /** Whether an open transaction holds offsets for any of these partitions of the group (require_stable). */
    public synchronized boolean hasPendingOffsets(String groupId, Collection<TopicPartition> wanted) {
        for (Txn t : txns.values()) {
            Map<TopicPartition, CommittedOffsets.Committed> staged = t.offsets.get(groupId);
            if (staged != null && !staged.isEmpty() && (wanted == null || wanted.stream().anyMatch(staged::containsKey))) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- EndTxn

    /**
     * Ends the transaction. With transactions V2 ({@code v2}, EndTxn v5) every end bumps the epoch:
     * the markers carry the new one, fencing the old, and the producer goes on with the epoch returned.
     */
    public CompletableFuture<EndResult> endTxn(String transactionalId, long producerId, short epoch, boolean commit,
                                               boolean v2) {
        Txn txn;
        synchronized (this) {
            txn = txns.get(transactionalId);
            if (txn == null || txn.producerId != producerId) {
                return done(EndResult.of(Errors.INVALID_PRODUCER_ID_MAPPING));
            }
            State completed = commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT;
            if (v2 && epoch == txn.lastEpoch && txn.state == completed) {
                // A retry of the EndTxn that bumped the epoch: answer it again.
                return done(new EndResult(Errors.NONE, txn.producerId, txn.epoch));
            }
            if (txn.epoch != epoch) {
                return done(EndResult.of(Errors.PRODUCER_FENCED));
            }
            switch (txn.state) {
                case ONGOING -> {
                    txn.state = commit ? State.PREPARE_COMMIT : State.PREPARE_ABORT;
                    if (v2) {
                        bumpEpoch(txn);
                    }
                }
                case EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT -> {
                    if (!v2) {
                        boolean retry = txn.state == completed;
                        return done(EndResult.of(retry ? Errors.NONE : Errors.INVALID_TXN_STATE));
                    }
                    // V2 producers may end a transaction that never wrote anything: only the epoch moves on.
                    bumpEpoch(txn);
                    txn.state = completed;
                    EndResult result = new EndResult(Errors.NONE, txn.producerId, txn.epoch);
                    return save(txn).thenApply(v -> result);
                }
                default -> {
                    return done(EndResult.of(Errors.CONCURRENT_TRANSACTIONS));
                }
            }
            CompletableFuture<Void> prepared = save(txn);
            EndResult ended = new EndResult(Errors.NONE, v2 ? txn.producerId : -1, v2 ? txn.epoch : -1);
            return prepared.thenCompose(v -> complete(txn)).handle((v, failure) -> {
                if (failure != null) {
                    log.warn("Transactional id {}: ending the transaction failed; it will be retried", transactionalId,
                            failure);
                    return EndResult.of(Errors.COORDINATOR_NOT_AVAILABLE);
                }
                return ended;
            });
        }
    }

    /** Writes the markers of a prepared transaction, applies its offsets if it commits, and records it complete. */
    private CompletableFuture<Void> complete(Txn txn) {
        boolean commit;
        long producerId;
        short epoch;
        List<TopicPartition> written;
        Map<String, Map<TopicPartition, CommittedOffsets.Committed>> staged;
        synchronized (this) {
            commit = txn.state == State.PREPARE_COMMIT;
            producerId = txn.producerId;
            epoch = txn.epoch;
            written = List.copyOf(txn.partitions);
            staged = new LinkedHashMap<>(txn.offsets);
        }
        List<CompletableFuture<?>> markers = new ArrayList<>();
        for (TopicPartition tp : written) {
            Optional<TopicMeta> topic = catalog.byName(tp.topic());
            if (topic.isEmpty() || tp.partition() >= topic.get().partitions()) {
                continue; // deleted since: nothing left to mark
            }
            markers.add(partitions.writeMarker(topic.get().segment(tp.partition()), producerId, epoch, commit,
                    COORDINATOR_EPOCH));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(markers.toArray(CompletableFuture[]::new));
        if (commit) {
            all = all.thenCompose(v -> CompletableFuture.allOf(staged.entrySet().stream()
                    .map(e -> offsets.commit(e.getKey(), e.getValue())).toArray(CompletableFuture[]::new)));
        }
        return all.thenCompose(v -> {
            synchronized (this) {
                txn.state = commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT;
                txn.partitions.clear();
                txn.offsets.clear();
                txn.startMs = -1;
                log.info("Transactional id {} (producer {}, epoch {}): {} across {} partitions", txn.id, producerId,
                        epoch, commit ? "committed" : "aborted", written.size());
                return save(txn);
            }
        });
    }

    // ---------------------------------------------------------------- timeouts

    /** Aborts transactions open longer than their timeout, fencing their producers; finishes stuck endings. */
    public void abortTimedOut() {
        long now = System.currentTimeMillis();
        List<Txn> expired = new ArrayList<>();
        List<Txn> stuck = new ArrayList<>();
        synchronized (this) {
            for (Txn t : txns.values()) {
                if (t.state == State.ONGOING && t.startMs >= 0 && now - t.startMs > t.timeoutMs) {
                    expired.add(t);
                } else if ((t.state == State.PREPARE_COMMIT || t.state == State.PREPARE_ABORT)
                        && t.startMs >= 0 && now - t.startMs > t.timeoutMs) {
                    stuck.add(t);
                }
            }
        }
        for (Txn t : expired) {
            log.info("Transactional id {}: aborting its transaction, open longer than its timeout of {} ms", t.id,
                    t.timeoutMs);
            fenceAndAbort(t).exceptionally(e -> {
                log.warn("Transactional id {}: aborting the timed-out transaction failed; will retry", t.id, e);
                return null;
            });
        }
        stuck.forEach(t -> complete(t).exceptionally(e -> null));
    }

    // ---------------------------------------------------------------- DescribeTransactions, ListTransactions

    public synchronized Optional<Description> describe(String transactionalId) {
        Txn t = txns.get(transactionalId);
        return t == null ? Optional.empty() : Optional.of(new Description(t.id, t.state.kafkaName, t.timeoutMs, t.startMs,
                t.producerId, t.epoch, List.copyOf(t.partitions)));
    }

    public synchronized List<Description> list() {
        List<Description> out = new ArrayList<>();
        for (Txn t : txns.values()) {
            out.add(new Description(t.id, t.state.kafkaName, t.timeoutMs, t.startMs, t.producerId, t.epoch,
                    List.copyOf(t.partitions)));
        }
        return out;
    }

    // ---------------------------------------------------------------- records

    private CompletableFuture<Void> save(Txn t) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(t.id);
            out.writeLong(t.producerId);
            out.writeShort(t.epoch);
            out.writeShort(t.lastEpoch);
            out.writeInt(t.timeoutMs);
            out.writeByte(t.state.ordinal());
            out.writeLong(t.startMs);
            out.writeInt(t.partitions.size());
            for (TopicPartition tp : t.partitions) {
                out.writeUTF(tp.topic());
                out.writeInt(tp.partition());
            }
            out.writeInt(t.offsets.size());
            for (Map.Entry<String, Map<TopicPartition, CommittedOffsets.Committed>> g : t.offsets.entrySet()) {
                out.writeUTF(g.getKey());
                out.writeInt(g.getValue().size());
                for (Map.Entry<TopicPartition, CommittedOffsets.Committed> e : g.getValue().entrySet()) {
                    CommittedOffsets.Committed c = e.getValue();
                    out.writeUTF(e.getKey().topic());
                    out.writeInt(e.getKey().partition());
                    out.writeUTF(c.topicId().toString());
                    out.writeLong(c.offset());
                    out.writeInt(c.leaderEpoch());
                    byte[] metadata = c.metadata() == null ? null : c.metadata().getBytes(StandardCharsets.UTF_8);
                    out.writeInt(metadata == null ? -1 : metadata.length);
                    if (metadata != null) {
                        out.write(metadata);
                    }
                    out.writeLong(c.commitTimestamp());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records.append(ByteBuffer.wrap(bytes.toByteArray()));
    }

    private void replay(ByteBuffer record) {
        byte[] b = new byte[record.remaining()];
        record.duplicate().get(b);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            Txn t = new Txn(in.readUTF());
            t.producerId = in.readLong();
            t.epoch = in.readShort();
            t.lastEpoch = in.readShort();
            t.timeoutMs = in.readInt();
            t.state = State.values()[in.readByte()];
            t.startMs = in.readLong();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                t.partitions.add(new TopicPartition(in.readUTF(), in.readInt()));
            }
            int groups = in.readInt();
            for (int i = 0; i < groups; i++) {
                String groupId = in.readUTF();
                Map<TopicPartition, CommittedOffsets.Committed> staged = new LinkedHashMap<>();
                int m = in.readInt();
                for (int j = 0; j < m; j++) {
                    TopicPartition tp = new TopicPartition(in.readUTF(), in.readInt());
                    Uuid topicId = Uuid.fromString(in.readUTF());
                    long offset = in.readLong();
                    int leaderEpoch = in.readInt();
                    int len = in.readInt();
                    String metadata = len < 0 ? null : new String(in.readNBytes(len), StandardCharsets.UTF_8);
                    staged.put(tp, new CommittedOffsets.Committed(topicId, offset, leaderEpoch, metadata, in.readLong()));
                }
                t.offsets.put(groupId, staged);
            }
            Txn previous = txns.put(t.id, t);
            if (previous != null) {
                byProducerId.remove(previous.producerId);
            }
            byProducerId.put(t.producerId, t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
