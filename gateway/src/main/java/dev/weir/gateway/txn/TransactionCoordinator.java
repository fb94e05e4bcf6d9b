package dev.weir.gateway.txn;

import dev.weir.gateway.api.KafkaErrors;
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
 * Kafka's transaction coordinator: producer ids and epochs per transactional id, the partitions and
 * group offsets of each open transaction, and its end: commit or abort markers written into every
 * partition, then the offsets applied. Both protocols are served: transactions V1 (EndTxn below v5)
 * and V2 (KIP-890, EndTxn v5: every end bumps the epoch); the coordinator's own aborts (a timeout,
 * a new producer fencing the old) follow V2, as Kafka 4.4's do with transaction.version 2
 * finalized. Its state is a log of records (a snapshot of one transactional id per record) in a
 * store segment, replayed at start; a transaction found half-ended is finished then. Changes are
 * serialized on this object's monitor; marker writes happen outside it.
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
        /** The producer id before the last change: a V2 end that ran out of epochs moved on from it. */
        long prevProducerId = -1;
        /** Set while a V2 end that exhausted the epochs is ending: the producer id it hands out once complete. */
        long nextProducerId = -1;
        int timeoutMs;
        State state = State.EMPTY;
        long startMs = -1;
        final Set<TopicPartition> partitions = new TreeSet<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        final Map<String, Map<TopicPartition, CommittedOffsets.Committed>> offsets = new LinkedHashMap<>();
        /** The latest save of this state: an answer that changes nothing still waits for it. */
        volatile CompletableFuture<Void> lastSave = CompletableFuture.completedFuture(null);

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
        return open(store, catalog, partitions, offsets, maxTimeoutMs, null);
    }

    /**
     * As {@link #open(SegmentStore, TopicCatalog, PartitionTransactions, CommittedOffsets, int)},
     * with markers written through {@code markers} (in a cluster, see {@link #routeMarkers}). In a
     * cluster only the coordinator (the controller) finishes endings; a marker that cannot be written
     * now is left to the retry of stuck endings rather than failing the start.
     */
    public static TransactionCoordinator open(SegmentStore store, TopicCatalog catalog, PartitionTransactions partitions,
                                              CommittedOffsets offsets, int maxTimeoutMs, MarkerWriter markers) {
        TransactionCoordinator c = new TransactionCoordinator(catalog, partitions, offsets, maxTimeoutMs);
        c.markerWriter = markers;
        c.records = RecordLog.open(store, SEGMENT, c::replay);
        List<Txn> ending = List.of();
        if (store.leads(SEGMENT)) {
            synchronized (c) {
                ending = c.txns.values().stream()
                        .filter(t -> t.state == State.PREPARE_COMMIT || t.state == State.PREPARE_ABORT).toList();
            }
        }
        for (Txn t : ending) {
            try {
                c.complete(t).join();
            } catch (RuntimeException e) {
                log.warn("Transactional id {}: finishing its ending failed ({}); it is retried", t.id,
                        KafkaErrors.unwrap(e).toString());
            }
        }
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
                // A producer naming its id and epoch (KIP-360) must name this id, or the one a V2 end
                // rotated away from when that producer's epochs ran out.
                if (producerId != -1 && producerId != txn.producerId
                        && !(producerId == txn.prevProducerId && exhausted(producerEpoch))) {
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
                    // Kafka answers CONCURRENT_TRANSACTIONS here and the producer asks again once the
                    // abort is complete; this is that second answer, given once the abort is complete.
                    return fenceAndAbort(txn).thenCompose(v -> {
                        synchronized (this) {
                            Errors refused = nextIncarnation(txn, producerId, producerEpoch);
                            if (refused != Errors.NONE) {
                                return done(new InitResult(refused, -1, (short) -1));
                            }
                            txn.state = State.EMPTY;
                            InitResult result = new InitResult(Errors.NONE, txn.producerId, txn.epoch);
                            return save(txn).thenApply(x -> result);
                        }
                    });
                }
                Errors refused = nextIncarnation(txn, producerId, producerEpoch);
                if (refused != Errors.NONE) {
                    return done(new InitResult(refused, -1, (short) -1));
                }
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

    /** Whether a producer at this epoch may not have another: Kafka keeps the last one for the marker of a V2 end. */
    private static boolean exhausted(short epoch) {
        return epoch >= Short.MAX_VALUE - 1;
    }

    /**
     * The producer id and epoch InitProducerId hands out, as Kafka's coordinator does: a new
     * producer (no epoch named) gets the next epoch and the previous one is forgotten, so it stays
     * fenced; a producer naming the current epoch gets the next; one naming the previous epoch is
     * retrying a call that succeeded and gets the current one again; any other epoch is fenced. A
     * new producer id once the epochs run out (KIP-360).
     */
    private Errors nextIncarnation(Txn txn, long producerId, short producerEpoch) {
        boolean named = producerId != -1;
        if (exhausted(txn.epoch) && (!named || producerEpoch == txn.epoch)) {
            txn.lastEpoch = named ? txn.epoch : -1;
            rotate(txn, catalog.nextProducerId().join());
            return Errors.NONE;
        }
        if (named && producerEpoch != txn.epoch && producerEpoch != txn.lastEpoch) {
            log.info("Transactional id {}: epoch {} is neither the current {} nor the previous {}; fenced", txn.id,
                    producerEpoch, txn.epoch, txn.lastEpoch);
            return Errors.PRODUCER_FENCED;
        }
        txn.prevProducerId = txn.producerId;
        if (!named || producerEpoch == txn.epoch) {
            txn.lastEpoch = named ? txn.epoch : -1;
            txn.epoch++;
        }
        return Errors.NONE;
    }

    private void rotate(Txn txn, long newProducerId) {
        byProducerId.remove(txn.producerId);
        txn.prevProducerId = txn.producerId;
        txn.producerId = newProducerId;
        txn.epoch = 0;
        byProducerId.put(newProducerId, txn);
    }

    /**
     * The epoch bump of a V2 end, before its markers: the markers carry the new epoch, fencing the
     * producer's old one. If that was the last epoch of the producer id, the markers carry it at
     * {@code Short.MAX_VALUE} and a new producer id takes over once the end is complete, as in Kafka.
     */
    private void bumpForEnd(Txn txn) {
        txn.prevProducerId = txn.producerId;
        txn.lastEpoch = txn.epoch;
        if (exhausted(txn.epoch)) {
            txn.nextProducerId = catalog.nextProducerId().join();
        }
        if (txn.epoch < Short.MAX_VALUE) {
            txn.epoch++;
        }
    }

    /** The producer id and epoch a V2 end leaves the producer with, once complete. */
    private static EndResult afterEnd(Txn txn) {
        return txn.nextProducerId != -1 ? new EndResult(Errors.NONE, txn.nextProducerId, (short) 0)
                : new EndResult(Errors.NONE, txn.producerId, txn.epoch);
    }

    /**
     * The coordinator's own abort of an open transaction (a timeout, or a new producer of the same
     * transactional id): a V2 end, so the epoch moves on and the markers carry the new one.
     */
    private CompletableFuture<Void> fenceAndAbort(Txn txn) {
        synchronized (this) {
            bumpForEnd(txn);
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
            txn.prevProducerId = txn.producerId;
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
                return saved(txn).thenApply(v -> Errors.NONE);
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
                // Added by an earlier batch whose save may still be being written: this batch is
                // appended (and acknowledged) only once the transaction durably holds its partition.
                return saved(txn).thenApply(v -> Errors.NONE);
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
            if (v2) {
                return endTxnV2(txn, producerId, epoch, commit);
            }
            if (txn == null || txn.producerId != producerId) {
                return done(EndResult.of(Errors.INVALID_PRODUCER_ID_MAPPING));
            }
            if (txn.epoch != epoch) {
                return done(EndResult.of(Errors.PRODUCER_FENCED));
            }
            switch (txn.state) {
                case ONGOING -> txn.state = commit ? State.PREPARE_COMMIT : State.PREPARE_ABORT;
                case EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT -> {
                    boolean retry = txn.state == (commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT);
                    return done(EndResult.of(retry ? Errors.NONE : Errors.INVALID_TXN_STATE));
                }
                default -> {
                    return done(EndResult.of(Errors.CONCURRENT_TRANSACTIONS));
                }
            }
            return prepareAndComplete(txn, EndResult.of(Errors.NONE));
        }
    }

    /**
     * EndTxn v5, with Kafka's rules for which epoch may end what. The epoch the request names is the
     * current one, or the one before the bump of an end it retries (or, after a bump that ran out of
     * epochs, the last of the previous producer id). A retry of the end that completed is answered
     * again; a retry naming the other result, or a commit where no transaction is open, is
     * INVALID_TXN_STATE: so a producer whose transaction the coordinator aborted on a timeout learns
     * that its commit found the transaction ended otherwise, rather than that it was fenced.
     */
    private CompletableFuture<EndResult> endTxnV2(Txn txn, long producerId, short epoch, boolean commit) {
        if (txn == null) {
            return done(EndResult.of(Errors.INVALID_PRODUCER_ID_MAPPING));
        }
        boolean retryOnOverflow = txn.prevProducerId == producerId && epoch == Short.MAX_VALUE - 1 && txn.epoch == 0;
        boolean retryOnEpochBump = txn.epoch == epoch + 1;
        if (txn.producerId != producerId && !retryOnOverflow) {
            return done(EndResult.of(Errors.INVALID_PRODUCER_ID_MAPPING));
        }
        boolean validEpoch = switch (txn.state) {
            case EMPTY, ONGOING -> epoch == txn.epoch;
            case PREPARE_COMMIT, PREPARE_ABORT -> retryOnEpochBump;
            case COMPLETE_COMMIT, COMPLETE_ABORT -> retryOnEpochBump || retryOnOverflow || epoch == txn.epoch;
        };
        if (!validEpoch) {
            return done(EndResult.of(Errors.PRODUCER_FENCED));
        }
        boolean retry = retryOnEpochBump || retryOnOverflow;
        State ending = switch (txn.state) {
            case ONGOING -> commit ? State.PREPARE_COMMIT : State.PREPARE_ABORT;
            // Ending nothing: an abort only moves the epoch on (a V2 producer may abort before writing).
            case EMPTY -> commit ? null : State.PREPARE_ABORT;
            case COMPLETE_COMMIT -> retry ? null : commit ? null : State.PREPARE_ABORT;
            case COMPLETE_ABORT -> commit ? null : retry ? null : State.PREPARE_ABORT;
            case PREPARE_COMMIT, PREPARE_ABORT -> null;
        };
        if (ending == null) {
            State retried = commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT;
            State inProgress = commit ? State.PREPARE_COMMIT : State.PREPARE_ABORT;
            if (retry && txn.state == retried) {
                return done(new EndResult(Errors.NONE, txn.producerId, txn.epoch));
            }
            if (txn.state == inProgress) {
                return done(EndResult.of(Errors.CONCURRENT_TRANSACTIONS));
            }
            log.info("Transactional id {}: {} at epoch {} refused in state {} (epoch {})", txn.id,
                    commit ? "commit" : "abort", epoch, txn.state.kafkaName, txn.epoch);
            return done(EndResult.of(Errors.INVALID_TXN_STATE));
        }
        txn.state = ending;
        bumpForEnd(txn);
        return prepareAndComplete(txn, afterEnd(txn));
    }

    /** Records the prepared end, then completes it; answers {@code ended} once it is complete. */
    private CompletableFuture<EndResult> prepareAndComplete(Txn txn, EndResult ended) {
        CompletableFuture<Void> prepared = save(txn);
        return prepared.thenCompose(v -> complete(txn)).handle((v, failure) -> {
            if (failure != null) {
                log.warn("Transactional id {}: ending the transaction failed; it will be retried", txn.id, failure);
                return EndResult.of(Errors.COORDINATOR_NOT_AVAILABLE);
            }
            return ended;
        });
    }

    /** Writes one partition's commit or abort marker; completes once it is written. */
    @FunctionalInterface
    public interface MarkerWriter {
        CompletableFuture<?> write(TopicPartition tp, String segment, long producerId, short epoch, boolean commit,
                                   int coordinatorEpoch);
    }

    /** Null: every marker is written here (a single node). */
    private volatile MarkerWriter markerWriter;

    /** In a cluster: markers of partitions led by other nodes go to their leaders. */
    public void routeMarkers(MarkerWriter writer) {
        this.markerWriter = writer;
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
            String segment = topic.get().segment(tp.partition());
            MarkerWriter routed = markerWriter;
            markers.add(routed == null ? partitions.writeMarker(segment, producerId, epoch, commit, COORDINATOR_EPOCH)
                    : routed.write(tp, segment, producerId, epoch, commit, COORDINATOR_EPOCH));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(markers.toArray(CompletableFuture[]::new));
        if (commit) {
            all = all.thenCompose(v -> CompletableFuture.allOf(staged.entrySet().stream()
                    .map(e -> offsets.commit(e.getKey(), e.getValue())).toArray(CompletableFuture[]::new)));
        }
        return all.thenCompose(v -> {
            synchronized (this) {
                txn.state = commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT;
                if (txn.nextProducerId != -1) {
                    // The V2 end used the last epoch; the producer goes on with a new id, as it was told.
                    rotate(txn, txn.nextProducerId);
                    txn.nextProducerId = -1;
                } else {
                    txn.prevProducerId = txn.producerId;
                }
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
        abortTimedOut(System.currentTimeMillis());
    }

    /** As {@link #abortTimedOut()} at the time {@code now}; completes when the aborts started have. */
    CompletableFuture<Void> abortTimedOut(long now) {
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
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (Txn t : expired) {
            log.info("Transactional id {}: aborting its transaction, open longer than its timeout of {} ms", t.id,
                    t.timeoutMs);
            started.add(fenceAndAbort(t).exceptionally(e -> {
                log.warn("Transactional id {}: aborting the timed-out transaction failed; will retry", t.id, e);
                return null;
            }));
        }
        stuck.forEach(t -> started.add(complete(t).exceptionally(e -> null)));
        return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new));
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

    /** Completes once the transaction's latest save is written; if that save failed, saves it again. */
    private CompletableFuture<Void> saved(Txn t) {
        return t.lastSave.isCompletedExceptionally() ? save(t) : t.lastSave;
    }

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
            // Appended later: records written before have neither, and replay as -1.
            out.writeLong(t.prevProducerId);
            out.writeLong(t.nextProducerId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CompletableFuture<Void> saved = records.append(ByteBuffer.wrap(bytes.toByteArray()));
        t.lastSave = saved;
        return saved;
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
            if (in.available() >= 2 * Long.BYTES) {
                t.prevProducerId = in.readLong();
                t.nextProducerId = in.readLong();
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
