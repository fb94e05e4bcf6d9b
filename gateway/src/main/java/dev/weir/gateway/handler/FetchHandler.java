package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.api.StoredRecords;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.metrics.KafkaMetrics;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.quota.ByteRateQuotas;
import dev.weir.gateway.security.Access;
import dev.weir.storage.ReadResult;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoredEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Fetch: reads stored batches verbatim, honours the response and per-partition byte limits with
 * Kafka's rule that the first batch of the first non-empty partition is returned whole, parks on
 * future reads until {@code min_bytes} arrive or {@code max_wait_ms} passes, and keeps KIP-227
 * fetch sessions.
 */
public final class FetchHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final FetchSessionCache sessions;
    private final int brokerMaxBytes;
    private final PartitionTransactions transactions;
    private final ByteRateQuotas byteRates;
    private final Access access;
    private final KafkaMetrics kafkaMetrics;

    public FetchHandler(TopicCatalog catalog, SegmentStore store, int maxSessions, int brokerMaxBytes,
                        PartitionTransactions transactions, ByteRateQuotas byteRates, Access access,
                        KafkaMetrics kafkaMetrics) {
        this.catalog = catalog;
        this.store = store;
        this.sessions = new FetchSessionCache(maxSessions);
        this.brokerMaxBytes = brokerMaxBytes;
        this.transactions = transactions;
        this.byteRates = byteRates;
        this.access = access;
        this.kafkaMetrics = kafkaMetrics;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.FETCH, 4, 18));
    }

    /** One partition of this fetch, as resolved against the catalog. */
    private record Wanted(TopicIdPartition key, TopicMeta topic, long fetchOffset, int maxBytes, Errors error) {
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        FetchRequest req = (FetchRequest) request;
        short version = context.apiVersion();
        Map<Uuid, String> names = catalog.topicNames();
        Map<TopicIdPartition, FetchRequest.PartitionData> data = req.fetchData(names);
        List<TopicIdPartition> forgotten = req.forgottenTopics(names);
        FetchMetadata md = req.metadata();

        FetchSessionCache.Session session;
        boolean incremental = !md.isFull();
        LinkedHashMap<TopicIdPartition, FetchRequest.PartitionData> fetchNow = new LinkedHashMap<>();
        if (!incremental) {
            if (md.sessionId() != FetchMetadata.INVALID_SESSION_ID) {
                sessions.remove(md.sessionId());
            }
            fetchNow.putAll(data);
            session = md.epoch() == FetchMetadata.INITIAL_EPOCH ? sessions.create(data, version >= 13) : null;
        } else {
            session = sessions.get(md.sessionId());
            if (session == null) {
                return CompletableFuture.completedFuture(topLevelError(Errors.FETCH_SESSION_ID_NOT_FOUND));
            }
            synchronized (session) {
                if (session.nextEpoch != md.epoch()) {
                    return CompletableFuture.completedFuture(topLevelError(Errors.INVALID_FETCH_SESSION_EPOCH));
                }
                if (session.usesTopicIds != version >= 13) {
                    // As Kafka: a session opened by topic names cannot go on by ids or the other way
                    // round (a client that has just re-bootstrapped fetches by name until its
                    // metadata has ids again). The client then opens a new session.
                    return CompletableFuture.completedFuture(topLevelError(Errors.FETCH_SESSION_TOPIC_ID_ERROR));
                }
                session.nextEpoch = FetchSessionCache.nextEpoch(md.epoch());
                data.forEach((tp, pd) -> {
                    FetchSessionCache.CachedPartition cp = session.partitions.get(tp);
                    if (cp == null) {
                        session.partitions.put(tp, new FetchSessionCache.CachedPartition(pd));
                    } else {
                        cp.update(pd);
                    }
                });
                forgotten.forEach(session.partitions::remove);
                session.partitions.forEach((tp, cp) -> fetchNow.put(tp, new FetchRequest.PartitionData(tp.topicId(),
                        cp.fetchOffset, -1, cp.maxBytes, Optional.empty())));
            }
        }

        List<Wanted> wanted = new ArrayList<>(fetchNow.size());
        // As Kafka: READ on each topic, checked before whether it exists (an unknown id has no name).
        java.util.Set<String> readable = !access.enabled() ? null : access.filter(context, AclOperation.READ,
                ResourceType.TOPIC, fetchNow.keySet().stream().map(TopicIdPartition::topic)
                        .filter(java.util.Objects::nonNull).toList(), true);
        fetchNow.forEach((tp, pd) -> wanted.add(resolve(tp, pd, version, readable)));
        // As Kafka, a fetch never asks for more than the client's quota lets through in one window.
        double quotaBytes = byteRates.maxValueInWindow(ByteRateQuotas.Kind.FETCH, context.principal.getName(),
                context.clientId());
        int maxBytes = (int) Math.min(Math.min(req.maxBytes() <= 0 ? Integer.MAX_VALUE : req.maxBytes(), brokerMaxBytes),
                Math.max(1, quotaBytes));
        long deadline = System.nanoTime() + Duration.ofMillis(Math.max(0, req.maxWait())).toNanos();
        int responseSessionId = session == null ? FetchMetadata.INVALID_SESSION_ID : session.id;
        boolean readCommitted = req.isolationLevel() == IsolationLevel.READ_COMMITTED;
        return attempt(wanted, maxBytes, Math.max(0, req.minBytes()), deadline, readCommitted)
                .thenApply(results -> {
                    try {
                        return respond(context, results, maxBytes, session, incremental, responseSessionId,
                                readCommitted);
                    } catch (RuntimeException e) {
                        results.forEach(Result::release);
                        throw e;
                    }
                });
    }

    /** Kafka's check of a request's current leader epoch against a partition's: the error, or null. */
    @FunctionalInterface
    public interface EpochCheck {
        Errors check(String segment, int currentLeaderEpoch);
    }

    private volatile EpochCheck epochCheck;

    /** In a cluster: fetches naming another leader epoch than the partition's are refused, as in Kafka. */
    public FetchHandler inCluster(EpochCheck check) {
        this.epochCheck = check;
        return this;
    }

    /** {@code readable}: the topics the principal may READ; null without an authorizer. */
    private Wanted resolve(TopicIdPartition tp, FetchRequest.PartitionData pd, short version,
                           java.util.Set<String> readable) {
        if (readable != null && tp.topic() != null && !readable.contains(tp.topic())) {
            return new Wanted(tp, null, pd.fetchOffset, Math.max(0, pd.maxBytes), Errors.TOPIC_AUTHORIZATION_FAILED);
        }
        Optional<TopicMeta> topic = tp.topic() == null ? Optional.empty() : catalog.byName(tp.topic());
        if (topic.isPresent() && version >= 13 && !topic.get().id().equals(tp.topicId())) {
            topic = Optional.empty();
        }
        Errors error = Errors.NONE;
        if (topic.isEmpty()) {
            error = version >= 13 ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (tp.partition() < 0 || tp.partition() >= topic.get().partitions()) {
            error = Errors.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (!store.leads(topic.get().segment(tp.partition()))) {
            error = Errors.NOT_LEADER_OR_FOLLOWER; // consumers fetch from the leader, as in Kafka
        } else if (epochCheck != null && pd.currentLeaderEpoch.isPresent()) {
            Errors fenced = epochCheck.check(topic.get().segment(tp.partition()), pd.currentLeaderEpoch.get());
            if (fenced != null) {
                error = fenced;
            }
        }
        return new Wanted(tp, topic.orElse(null), pd.fetchOffset, Math.max(0, pd.maxBytes), error);
    }

    /** What one partition read gave. */
    private record Result(Wanted wanted, ReadResult read, Errors error) {
        void release() {
            if (read != null) {
                read.release();
            }
        }
    }

    private CompletableFuture<List<Result>> attempt(List<Wanted> wanted, int maxBytes, int minBytes, long deadline,
                                                    boolean readCommitted) {
        List<CompletableFuture<Result>> reads = new ArrayList<>(wanted.size());
        for (Wanted w : wanted) {
            if (w.error() != Errors.NONE) {
                reads.add(CompletableFuture.completedFuture(new Result(w, null, w.error())));
                continue;
            }
            int limit = Math.min(w.maxBytes(), maxBytes);
            reads.add(store.readShared(w.topic().segment(w.key().partition()), w.fetchOffset(), Math.max(1, limit))
                    .handle((r, e) -> {
                        if (e != null) {
                            return new Result(w, null, KafkaErrors.of(e));
                        }
                        long start = r.info().startOffset();
                        long end = r.info().nextOffset();
                        if (w.fetchOffset() < start || w.fetchOffset() > end) {
                            return new Result(w, r, Errors.OFFSET_OUT_OF_RANGE);
                        }
                        return new Result(w, r, Errors.NONE);
                    }));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<Result> results = reads.stream().map(CompletableFuture::join).toList();
            long bytes = 0;
            boolean anyError = false;
            List<CompletableFuture<?>> waits = new ArrayList<>(results.size());
            long remainingNanos = deadline - System.nanoTime();
            Duration wait = Duration.ofNanos(Math.max(0, remainingNanos));
            for (Result r : results) {
                anyError |= r.error() != Errors.NONE;
                if (r.read() == null) {
                    continue;
                }
                String segment = r.wanted().topic().segment(r.wanted().key().partition());
                long waitFrom = r.wanted().fetchOffset();
                if (readCommitted) {
                    // Only what lies below the last stable offset can be returned; data beyond it waits
                    // for the marker that ends its transaction, which arrives as new data at the end.
                    long hw = r.read().info().nextOffset();
                    long lso = transactions.lastStableOffset(segment, hw);
                    for (StoredEntry e : r.read().entries()) {
                        if (e.lastOffset() < lso) {
                            bytes += e.size();
                        }
                    }
                    waitFrom = Math.max(waitFrom, lso < hw ? hw : waitFrom);
                } else {
                    bytes += r.read().sizeBytes();
                }
                waits.add(store.awaitData(segment, waitFrom, wait));
            }
            if (bytes >= minBytes || anyError || remainingNanos <= 0 || wanted.isEmpty() || waits.isEmpty()) {
                return CompletableFuture.completedFuture(results);
            }
            results.forEach(Result::release); // read again when data arrives
            return CompletableFuture.anyOf(waits.toArray(CompletableFuture[]::new)).handle((x, e) -> null)
                    .thenCompose(x -> attempt(wanted, maxBytes, minBytes, deadline, readCommitted));
        });
    }

    private FetchResponse respond(RequestContext context, List<Result> results, int maxBytes,
                                  FetchSessionCache.Session session, boolean incremental, int sessionId,
                                  boolean readCommitted) {
        LinkedHashMap<TopicIdPartition, FetchResponseData.PartitionData> all = new LinkedHashMap<>();
        long budget = maxBytes;
        boolean firstNonEmpty = true;
        for (Result r : results) {
            Wanted w = r.wanted();
            FetchResponseData.PartitionData pd = new FetchResponseData.PartitionData()
                    .setPartitionIndex(w.key().partition())
                    .setErrorCode(r.error().code());
            // read_committed reads stop at the last stable offset: below it every transaction is decided.
            long readLimit = Long.MAX_VALUE;
            String segment = w.topic() == null ? null : w.topic().segment(w.key().partition());
            if (r.read() != null) {
                long hw = r.read().info().nextOffset();
                long lso = transactions.lastStableOffset(segment, hw);
                pd.setHighWatermark(hw).setLastStableOffset(lso).setLogStartOffset(r.read().info().startOffset());
                if (readCommitted) {
                    readLimit = lso;
                }
            } else {
                pd.setHighWatermark(FetchResponse.INVALID_HIGH_WATERMARK)
                        .setLastStableOffset(FetchResponse.INVALID_LAST_STABLE_OFFSET)
                        .setLogStartOffset(FetchResponse.INVALID_LOG_START_OFFSET);
            }
            List<StoredEntry> entries = r.error() == Errors.NONE && r.read() != null ? r.read().entries() : List.of();
            int taken = 0;
            long size = 0;
            long partitionLimit = w.maxBytes();
            long lastTaken = -1;
            for (StoredEntry e : entries) {
                if (e.lastOffset() >= readLimit) {
                    break;
                }
                int n = e.size();
                boolean fits = size + n <= partitionLimit && size + n <= budget;
                if (!fits && !(firstNonEmpty && taken == 0)) {
                    break;
                }
                taken++;
                size += n;
                lastTaken = e.lastOffset();
            }
            if (readCommitted && r.error() == Errors.NONE && r.read() != null) {
                // The aborted transactions with data among the returned batches, so the consumer drops it.
                List<FetchResponseData.AbortedTransaction> aborted = new ArrayList<>();
                if (taken > 0) {
                    transactions.aborted(segment, w.fetchOffset(), lastTaken + 1).forEach(a -> aborted.add(
                            new FetchResponseData.AbortedTransaction().setProducerId(a.producerId())
                                    .setFirstOffset(a.firstOffset())));
                }
                pd.setAbortedTransactions(aborted);
            }
            if (taken > 0) {
                firstNonEmpty = false;
                budget -= size;
                // The response holds the read from here: the connection releases it once it is written.
                pd.setRecords(new StoredRecords(r.read(), taken));
            } else {
                pd.setRecords(MemoryRecords.EMPTY);
                r.release();
            }
            all.put(w.key(), pd);
        }
        // As Kafka: the response's bytes count against the client's consumer_byte_rate; a response
        // over quota is not sent (nor counted): an empty one tells the client how long to hold back.
        long now = System.currentTimeMillis();
        String user = context.principal.getName();
        int throttleMs = 0;
        int size = 0;
        if (byteRates.applies(ByteRateQuotas.Kind.FETCH, user, context.clientId())) {
            size = FetchResponse.sizeOf(context.apiVersion(), all.entrySet().iterator());
            throttleMs = byteRates.record(ByteRateQuotas.Kind.FETCH, user, context.clientId(), size, now);
        }
        if (throttleMs > 0) {
            byteRates.unrecord(ByteRateQuotas.Kind.FETCH, user, context.clientId(), size, now);
            all.values().forEach(pd -> {
                if (pd.records() instanceof StoredRecords stored) {
                    stored.release();
                }
            });
            return FetchResponse.of(Errors.NONE, throttleMs, sessionId, new LinkedHashMap<>(), List.of());
        }
        LinkedHashMap<TopicIdPartition, FetchResponseData.PartitionData> out = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.wanted().topic() != null) {
                // As Kafka: every partition read counts in TotalFetchRequestsPerSec, its records in BytesOutPerSec.
                FetchResponseData.PartitionData pd = all.get(r.wanted().key());
                // Failed: as Kafka counts it, an unexpected error, not an offset out of range or a storage error.
                kafkaMetrics.topic(r.wanted().topic().name()).fetched(pd.records().sizeInBytes(),
                        r.error() != Errors.NONE && r.error() != Errors.OFFSET_OUT_OF_RANGE
                                && r.error() != Errors.UNKNOWN_TOPIC_OR_PARTITION && r.error() != Errors.KAFKA_STORAGE_ERROR);
            }
        }
        all.forEach((tp, pd) -> {
            boolean noRecords = pd.records().sizeInBytes() == 0;
            if (session == null || include(session, tp, pd, noRecords) || !incremental) {
                out.put(tp, pd); // an incremental response leaves out what did not change (holding nothing)
            }
        });
        return FetchResponse.of(Errors.NONE, 0, sessionId, out, List.of());
    }

    /** Updates the session's memory of a partition and says whether an incremental response must carry it. */
    private static boolean include(FetchSessionCache.Session session, TopicIdPartition tp,
                                   FetchResponseData.PartitionData pd, boolean noRecords) {
        synchronized (session) {
            FetchSessionCache.CachedPartition cp = session.partitions.get(tp);
            if (cp == null) {
                return true;
            }
            boolean changed = !noRecords || pd.errorCode() != Errors.NONE.code()
                    || cp.lastHighWatermark != pd.highWatermark() || cp.lastLogStartOffset != pd.logStartOffset();
            cp.lastHighWatermark = pd.highWatermark();
            cp.lastLogStartOffset = pd.logStartOffset();
            return changed;
        }
    }

    private static FetchResponse topLevelError(Errors error) {
        return FetchResponse.of(error, 0, FetchMetadata.INVALID_SESSION_ID, new LinkedHashMap<>(), List.of());
    }
}
