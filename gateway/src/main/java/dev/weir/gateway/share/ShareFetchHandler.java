package dev.weir.gateway.share;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.api.StoredRecords;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.producer.PartitionTransactions;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ShareFetch and ShareAcknowledge (KIP-932): share sessions, acknowledgements, and the acquisition
 * of records for a member, each answer leaving once the share-partitions' new state is durable.
 */
public final class ShareFetchHandler implements ApiHandler {
    private static final Logger log = LoggerFactory.getLogger(ShareFetchHandler.class);
    private static final byte RECORD_LIMIT_MODE = 1;

    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final SharePartitions partitions;
    private final ShareSessions sessions;
    private final PartitionTransactions transactions;
    private final Access access;
    private final int brokerMaxBytes;

    public ShareFetchHandler(TopicCatalog catalog, SegmentStore store, SharePartitions partitions, int maxSessions,
                             PartitionTransactions transactions, Access access, int brokerMaxBytes) {
        this.catalog = catalog;
        this.store = store;
        this.partitions = partitions;
        this.sessions = new ShareSessions(maxSessions);
        this.transactions = transactions;
        this.access = access;
        this.brokerMaxBytes = brokerMaxBytes;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.SHARE_FETCH, 1, 2), ApiSupport.of(ApiKeys.SHARE_ACKNOWLEDGE, 1, 2));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof ShareFetchRequest r) {
            return fetch(context, r);
        }
        return acknowledge(context, (ShareAcknowledgeRequest) request);
    }

    @Override
    public void connectionClosed(String connectionId) {
        for (ShareSessions.Session s : sessions.connectionClosed(connectionId)) {
            log.debug("Share session of member {} of group {} ended with its connection", s.key.memberId(),
                    s.key.groupId());
            release(s);
        }
    }

    /** A member left its share group (or was removed): its session ends and its records are released. */
    public void memberLeft(String groupId, String memberId) {
        ShareSessions.Session s = sessions.memberLeft(groupId, memberId);
        if (s != null) {
            release(s);
        }
    }

    private void release(ShareSessions.Session s) {
        List<SharePartitions.Key> keys = s.partitions.stream()
                .map(tp -> new SharePartitions.Key(s.key.groupId(), tp.topicId(), tp.partition())).toList();
        partitions.releaseMember(s.key.groupId(), s.key.memberId(), keys).exceptionally(e -> {
            log.warn("Releasing the records of member {} of group {} failed: {}", s.key.memberId(), s.key.groupId(),
                    e.toString());
            return null;
        });
    }

    // ---------------------------------------------------------------- ShareFetch

    private CompletableFuture<AbstractResponse> fetch(RequestContext context, ShareFetchRequest request) {
        ShareFetchRequestData d = request.data();
        ApiException refused = refusal(context, d.groupId(), d.memberId());
        if (refused != null) {
            return done(request.getErrorResponse(0, refused));
        }
        boolean renew = request.version() >= 2 && d.isRenewAck();
        if (renew && (d.maxBytes() != 0 || d.minBytes() != 0 || d.maxRecords() != 0 || d.maxWaitMs() != 0)) {
            return done(request.getErrorResponse(0, Errors.INVALID_REQUEST.exception(
                    "maxBytes, minBytes, maxRecords and maxWaitMs must be set to 0 if isRenewAck is true.")));
        }
        boolean acks = d.topics().stream().flatMap(t -> t.partitions().stream())
                .anyMatch(p -> p.acknowledgementBatches() != null && !p.acknowledgementBatches().isEmpty());
        List<TopicIdPartition> wanted = new ArrayList<>();
        Map<Uuid, String> names = catalog.topicNames();
        d.topics().forEach(t -> t.partitions().forEach(p -> wanted.add(
                new TopicIdPartition(t.topicId(), p.partitionIndex(), names.get(t.topicId())))));
        List<TopicIdPartition> forgotten = new ArrayList<>();
        d.forgottenTopicsData().forEach(t -> t.partitions().forEach(p -> forgotten.add(
                new TopicIdPartition(t.topicId(), p, names.get(t.topicId())))));
        ShareSessions.SessionKey key = new ShareSessions.SessionKey(d.groupId(), d.memberId());
        int epoch = d.shareSessionEpoch();
        ShareSessions.Session session;
        try {
            if (epoch == ShareRequestMetadata.FINAL_EPOCH) {
                session = sessions.get(key);
                if (session == null) {
                    throw new ShareSessions.SessionError(Errors.SHARE_SESSION_NOT_FOUND);
                }
            } else if (epoch == ShareRequestMetadata.INITIAL_EPOCH) {
                if (acks) {
                    return done(request.getErrorResponse(0, Errors.INVALID_REQUEST.exception()));
                }
                try {
                    session = sessions.open(key, context.connectionId, wanted);
                } catch (ShareSessions.SessionError e) {
                    // As Kafka: a client refused for want of sessions hears so after its wait.
                    CompletableFuture<AbstractResponse> later = new CompletableFuture<>();
                    CompletableFuture.delayedExecutor(Math.max(0, d.maxWaitMs()), TimeUnit.MILLISECONDS).execute(
                            () -> later.complete(request.getErrorResponse(0, e.error.exception())));
                    return later;
                }
            } else {
                session = sessions.next(key, epoch, wanted, forgotten);
            }
        } catch (ShareSessions.SessionError e) {
            return done(request.getErrorResponse(0, e.error.exception()));
        }
        Map<TopicIdPartition, Errors> ackResults = new LinkedHashMap<>();
        List<CompletableFuture<Void>> ackWrites = new ArrayList<>();
        if (acks) {
            for (ShareFetchRequestData.FetchTopic t : d.topics()) {
                for (ShareFetchRequestData.FetchPartition p : t.partitions()) {
                    if (p.acknowledgementBatches() == null || p.acknowledgementBatches().isEmpty()) {
                        continue;
                    }
                    List<long[]> ranges = new ArrayList<>();
                    List<byte[]> types = new ArrayList<>();
                    p.acknowledgementBatches().forEach(b -> {
                        ranges.add(new long[] {b.firstOffset(), b.lastOffset()});
                        types.add(toBytes(b.acknowledgeTypes()));
                    });
                    TopicIdPartition tp = new TopicIdPartition(t.topicId(), p.partitionIndex(), names.get(t.topicId()));
                    ackResults.put(tp, applyAcks(context, d.groupId(), d.memberId(), tp, ranges, types, ackWrites));
                }
            }
        }
        ShareSettings settings = partitions.settings(d.groupId());
        CompletableFuture<Void> acked = CompletableFuture.allOf(ackWrites.toArray(CompletableFuture[]::new));
        CompletableFuture<Map<TopicIdPartition, Fetched>> fetched;
        if (epoch == ShareRequestMetadata.FINAL_EPOCH || renew) {
            fetched = CompletableFuture.completedFuture(new LinkedHashMap<>());
        } else {
            List<TopicIdPartition> all;
            synchronized (sessions) {
                all = new ArrayList<>(session.partitions);
            }
            // A different partition leads each time, so a record budget does not starve the later ones.
            if (!all.isEmpty()) {
                java.util.Collections.rotate(all, -Math.floorMod(session.epoch, all.size()));
            }
            int maxBytes = (int) Math.min(d.maxBytes() <= 0 ? Integer.MAX_VALUE : d.maxBytes(), brokerMaxBytes);
            int maxRecords = d.maxRecords() <= 0 ? 500 : d.maxRecords();
            boolean strict = request.version() >= 2 && d.shareAcquireMode() == RECORD_LIMIT_MODE;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, d.maxWaitMs()));
            fetched = acked.handle((v, e) -> null).thenCompose(v -> attempt(context, d.groupId(), d.memberId(), all,
                    settings, maxBytes, maxRecords, strict, deadline));
        }
        ShareSessions.Session s = session;
        return fetched.thenCombine(acked.handle((v, e) -> e), (results, ackFailure) -> {
            if (ackFailure != null) {
                ackResults.replaceAll((tp, err) -> err == Errors.NONE ? KafkaErrors.of(ackFailure) : err);
            }
            LinkedHashMap<TopicIdPartition, ShareFetchResponseData.PartitionData> parts = new LinkedHashMap<>();
            results.forEach((tp, f) -> {
                if (f.error == Errors.NONE && f.acquired.isEmpty() && !ackResults.containsKey(tp)) {
                    f.release();
                    return; // as Kafka: a response carries only partitions with news
                }
                ShareFetchResponseData.PartitionData pd = new ShareFetchResponseData.PartitionData()
                        .setErrorCode(f.error.code()).setErrorMessage(f.error == Errors.NONE ? null : f.error.message())
                        .setRecords(f.records == null ? MemoryRecords.EMPTY : f.records);
                f.acquired.forEach(a -> pd.acquiredRecords().add(new ShareFetchResponseData.AcquiredRecords()
                        .setFirstOffset(a.firstOffset()).setLastOffset(a.lastOffset()).setDeliveryCount(a.deliveryCount())));
                parts.put(tp, pd);
            });
            ackResults.forEach((tp, err) -> parts.computeIfAbsent(tp, k -> new ShareFetchResponseData.PartitionData()
                            .setErrorCode(Errors.NONE.code()).setRecords(MemoryRecords.EMPTY))
                    .setAcknowledgeErrorCode(err.code()).setAcknowledgeErrorMessage(err == Errors.NONE ? null : err.message()));
            if (epoch == ShareRequestMetadata.FINAL_EPOCH) {
                sessions.remove(s);
                release(s);
            }
            return (AbstractResponse) ShareFetchResponse.of(Errors.NONE, 0, parts, List.of(), settings.lockDurationMs());
        });
    }

    /** What one partition gave this fetch. */
    private static final class Fetched {
        final Errors error;
        final List<SharePartition.Acquired> acquired;
        final StoredRecords records;
        final ReadResult read;

        Fetched(Errors error, List<SharePartition.Acquired> acquired, StoredRecords records, ReadResult read) {
            this.error = error;
            this.acquired = acquired;
            this.records = records;
            this.read = read;
        }

        static Fetched error(Errors error) {
            return new Fetched(error, List.of(), null, null);
        }

        void release() {
            if (records != null) {
                records.release();
            } else if (read != null) {
                read.release();
            }
        }
    }

    /** A partition this fetch may read, resolved against the catalog and ACLs. */
    private record Target(TopicIdPartition tp, TopicMeta topic, Errors error) {
    }

    private CompletableFuture<Map<TopicIdPartition, Fetched>> attempt(RequestContext context, String groupId,
                                                                      String memberId, List<TopicIdPartition> all,
                                                                      ShareSettings settings, int maxBytes,
                                                                      int maxRecords, boolean strict, long deadline) {
        List<Target> targets = new ArrayList<>();
        Set<String> readable = !access.enabled() ? null : access.filter(context, AclOperation.READ, ResourceType.TOPIC,
                all.stream().map(TopicIdPartition::topic).filter(java.util.Objects::nonNull).toList(), true);
        for (TopicIdPartition tp : all) {
            Optional<TopicMeta> topic = catalog.byId(tp.topicId());
            if (topic.isEmpty()) {
                targets.add(new Target(tp, null, Errors.UNKNOWN_TOPIC_ID));
            } else if (readable != null && !readable.contains(topic.get().name())) {
                targets.add(new Target(tp, null, Errors.TOPIC_AUTHORIZATION_FAILED));
            } else if (tp.partition() < 0 || tp.partition() >= topic.get().partitions()) {
                targets.add(new Target(tp, null, Errors.UNKNOWN_TOPIC_OR_PARTITION));
            } else {
                targets.add(new Target(tp, topic.get(), Errors.NONE));
            }
        }
        CompletableFuture<Void> released = partitions.nextRelease();
        return acquireAll(groupId, memberId, targets, settings, maxBytes, maxRecords, strict).thenCompose(results -> {
            long remaining = deadline - System.nanoTime();
            boolean any = results.values().stream().anyMatch(f -> f.error != Errors.NONE || !f.acquired.isEmpty());
            if (any || remaining <= 0 || targets.stream().noneMatch(t -> t.error() == Errors.NONE)) {
                return CompletableFuture.completedFuture(results);
            }
            // Nothing to hand out yet: wait for new records, or for records to be released, then try again.
            results.values().forEach(Fetched::release);
            List<CompletableFuture<?>> waits = new ArrayList<>();
            waits.add(released);
            Duration wait = Duration.ofNanos(remaining);
            for (Target t : targets) {
                if (t.error() == Errors.NONE) {
                    // New records at the log's end (or the marker that ends a transaction read_committed waits for).
                    String segment = t.topic().segment(t.tp().partition());
                    waits.add(store.getInfo(segment).thenCompose(info -> store.awaitData(segment, info.nextOffset(), wait)));
                }
            }
            waits.add(CompletableFuture.runAsync(() -> { },
                    CompletableFuture.delayedExecutor(remaining, TimeUnit.NANOSECONDS)));
            return CompletableFuture.anyOf(waits.toArray(CompletableFuture[]::new)).handle((x, e) -> null)
                    .thenCompose(x -> attempt(context, groupId, memberId, all, settings, maxBytes, maxRecords, strict,
                            deadline));
        });
    }

    private static SharePartitions.Key key(String groupId, Target t) {
        return new SharePartitions.Key(groupId, t.tp().topicId(), t.tp().partition());
    }

    /** Acquires from each partition in turn, within the request's record and byte budgets. */
    private CompletableFuture<Map<TopicIdPartition, Fetched>> acquireAll(String groupId, String memberId,
                                                                         List<Target> targets, ShareSettings settings,
                                                                         int maxBytes, int maxRecords, boolean strict) {
        Map<TopicIdPartition, Fetched> results = new LinkedHashMap<>();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        int[] budget = {maxRecords, maxBytes};
        for (Target t : targets) {
            if (t.error() != Errors.NONE) {
                results.put(t.tp(), Fetched.error(t.error()));
                continue;
            }
            chain = chain.thenCompose(v -> {
                if (budget[0] <= 0 || budget[1] <= 0) {
                    results.put(t.tp(), new Fetched(Errors.NONE, List.of(), null, null));
                    return CompletableFuture.completedFuture(null);
                }
                return acquire(groupId, memberId, t, settings, budget, strict).handle((f, e) -> {
                    Errors error = e == null ? Errors.NONE : KafkaErrors.of(e);
                    if (error == Errors.UNKNOWN_SERVER_ERROR) {
                        log.error("Share fetch of {} for group {} failed", t.tp(), groupId, e);
                    }
                    results.put(t.tp(), e == null ? f : Fetched.error(error));
                    return null;
                });
            });
        }
        return chain.thenApply(v -> results);
    }

    private CompletableFuture<Fetched> acquire(String groupId, String memberId, Target t, ShareSettings settings,
                                               int[] budget, boolean strict) {
        String segment = t.topic().segment(t.tp().partition());
        SharePartitions.Key key = key(groupId, t);
        return partitions.getOrInitialize(key, segment).thenCompose(e -> store.getInfo(segment).thenCompose(info -> {
            long from;
            synchronized (e) {
                if (e.state.startOffset() < info.startOffset()) {
                    // Records before the log's start are gone (retention, DeleteRecords): never delivered.
                    e.state.moveStart(info.startOffset());
                }
                if (!e.state.canAcquire(settings.maxInFlightRecords())) {
                    return CompletableFuture.completedFuture(new Fetched(Errors.NONE, List.of(), null, null));
                }
                from = e.state.nextFetchOffset();
            }
            if (from >= info.nextOffset()) {
                return CompletableFuture.completedFuture(new Fetched(Errors.NONE, List.of(), null, null));
            }
            // An ordinary read: each batch's header (control, transactional) is read before it is handed out.
            return store.read(segment, from, Math.max(1, budget[1])).thenCompose(read -> {
                try {
                    return take(e, memberId, segment, from, read, settings, budget, strict);
                } catch (RuntimeException failure) {
                    read.release();
                    throw failure;
                }
            });
        }));
    }

    private CompletableFuture<Fetched> take(SharePartitions.Entry e, String memberId, String segment, long from,
                                            ReadResult read, ShareSettings settings, int[] budget, boolean strict) {
        List<StoredEntry> entries = read.entries();
        long limit = settings.readCommitted()
                ? transactions.lastStableOffset(segment, read.info().nextOffset()) : Long.MAX_VALUE;
        List<PartitionTransactions.Aborted> aborted = settings.readCommitted() && !entries.isEmpty()
                ? transactions.aborted(segment, from, entries.get(entries.size() - 1).lastOffset() + 1) : List.of();
        List<SharePartition.Batch> batches = new ArrayList<>(entries.size());
        for (StoredEntry entry : entries) {
            if (entry.lastOffset() >= limit) {
                break; // read_committed: nothing at or past the last stable offset
            }
            batches.add(new SharePartition.Batch(entry.baseOffset(), entry.lastOffset(), skipped(entry, aborted)));
        }
        List<SharePartition.Acquired> acquired;
        CompletableFuture<Void> saved;
        synchronized (e) {
            long start = e.state.startOffset();
            long end = e.state.endOffset();
            acquired = e.state.acquire(memberId, from, batches, budget[0], settings.maxInFlightRecords(),
                    partitions.now() + settings.lockDurationMs(), strict);
            boolean changed = !acquired.isEmpty() || start != e.state.startOffset() || end != e.state.endOffset();
            saved = changed ? partitions.save(e) : null;
        }
        if (acquired.isEmpty()) {
            read.release();
            return saved == null ? CompletableFuture.completedFuture(new Fetched(Errors.NONE, List.of(), null, null))
                    : saved.thenApply(v -> new Fetched(Errors.NONE, List.of(), null, null));
        }
        long lastAcquired = acquired.get(acquired.size() - 1).lastOffset();
        int count = 0;
        int bytes = 0;
        for (StoredEntry entry : entries) {
            count++;
            bytes += entry.size();
            if (entry.lastOffset() >= lastAcquired) {
                break;
            }
        }
        for (SharePartition.Acquired a : acquired) {
            budget[0] -= (int) (a.lastOffset() - a.firstOffset() + 1);
        }
        budget[1] -= bytes;
        StoredRecords records = new StoredRecords(read, count);
        return saved.handle((v, failure) -> {
            if (failure != null) {
                records.release();
                throw new java.util.concurrent.CompletionException(failure);
            }
            return new Fetched(Errors.NONE, acquired, records, read);
        });
    }

    /** Control batches, and the batches of aborted transactions, are never handed to a share consumer. */
    private static boolean skipped(StoredEntry entry, List<PartitionTransactions.Aborted> aborted) {
        RecordBatch batch = MemoryRecords.readableRecords(entry.data().duplicate()).firstBatch();
        if (batch == null) {
            return false;
        }
        if (batch.isControlBatch()) {
            return true;
        }
        if (batch.isTransactional()) {
            for (PartitionTransactions.Aborted a : aborted) {
                if (a.producerId() == batch.producerId() && a.firstOffset() <= entry.baseOffset()
                        && entry.baseOffset() < a.lastOffset()) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- acknowledgements

    /** Applies one partition's acknowledgement batches (all or none) and queues the write of the new state. */
    private Errors applyAcks(RequestContext context, String groupId, String memberId, TopicIdPartition tp,
                             List<long[]> ranges, List<byte[]> types, List<CompletableFuture<Void>> writes) {
        Optional<TopicMeta> topic = catalog.byId(tp.topicId());
        if (topic.isEmpty()) {
            return Errors.UNKNOWN_TOPIC_ID;
        }
        if (access.enabled() && !access.allowed(context, AclOperation.READ, ResourceType.TOPIC, topic.get().name())) {
            return Errors.TOPIC_AUTHORIZATION_FAILED;
        }
        SharePartitions.Entry e = partitions.get(new SharePartitions.Key(groupId, tp.topicId(), tp.partition()));
        if (e == null) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        ShareSettings settings = partitions.settings(groupId);
        boolean released = false;
        synchronized (e) {
            for (int i = 0; i < ranges.size(); i++) {
                for (byte type : types.get(i)) {
                    released |= type == SharePartition.RELEASE;
                }
            }
            SharePartition.AckResult result = e.state.acknowledgeAll(memberId, ranges, types,
                    settings.deliveryCountLimit(), partitions.now() + settings.lockDurationMs());
            if (result != SharePartition.AckResult.DONE) {
                return result == SharePartition.AckResult.INVALID_REQUEST ? Errors.INVALID_REQUEST
                        : Errors.INVALID_RECORD_STATE;
            }
            writes.add(partitions.save(e));
        }
        if (released) {
            partitions.signalReleased();
        }
        return Errors.NONE;
    }

    private static byte[] toBytes(List<Byte> types) {
        byte[] out = new byte[types.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = types.get(i);
        }
        return out;
    }

    // ---------------------------------------------------------------- ShareAcknowledge

    private CompletableFuture<AbstractResponse> acknowledge(RequestContext context, ShareAcknowledgeRequest request) {
        ShareAcknowledgeRequestData d = request.data();
        ApiException refused = refusal(context, d.groupId(), d.memberId());
        if (refused != null) {
            return done(request.getErrorResponse(0, refused));
        }
        ShareSessions.SessionKey key = new ShareSessions.SessionKey(d.groupId(), d.memberId());
        int epoch = d.shareSessionEpoch();
        ShareSessions.Session session;
        try {
            if (epoch == ShareRequestMetadata.INITIAL_EPOCH) {
                throw new ShareSessions.SessionError(Errors.INVALID_SHARE_SESSION_EPOCH);
            }
            if (epoch == ShareRequestMetadata.FINAL_EPOCH) {
                session = sessions.get(key);
                if (session == null) {
                    throw new ShareSessions.SessionError(Errors.SHARE_SESSION_NOT_FOUND);
                }
            } else {
                session = sessions.next(key, epoch, List.of(), List.of());
            }
        } catch (ShareSessions.SessionError e) {
            return done(request.getErrorResponse(0, e.error.exception()));
        }
        Map<Uuid, String> names = catalog.topicNames();
        ShareAcknowledgeResponseData out = new ShareAcknowledgeResponseData().setErrorCode(Errors.NONE.code())
                .setAcquisitionLockTimeoutMs(partitions.settings(d.groupId()).lockDurationMs());
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        List<ShareAcknowledgeResponseData.PartitionData> answered = new ArrayList<>();
        for (ShareAcknowledgeRequestData.AcknowledgeTopic t : d.topics()) {
            ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse rt =
                    new ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse().setTopicId(t.topicId());
            out.responses().add(rt);
            for (ShareAcknowledgeRequestData.AcknowledgePartition p : t.partitions()) {
                List<long[]> ranges = new ArrayList<>();
                List<byte[]> types = new ArrayList<>();
                p.acknowledgementBatches().forEach(b -> {
                    ranges.add(new long[] {b.firstOffset(), b.lastOffset()});
                    types.add(toBytes(b.acknowledgeTypes()));
                });
                Errors err = applyAcks(context, d.groupId(), d.memberId(),
                        new TopicIdPartition(t.topicId(), p.partitionIndex(), names.get(t.topicId())), ranges, types, writes);
                ShareAcknowledgeResponseData.PartitionData pd = new ShareAcknowledgeResponseData.PartitionData()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(err.code())
                        .setErrorMessage(err == Errors.NONE ? null : err.message());
                rt.partitions().add(pd);
                answered.add(pd);
            }
        }
        ShareSessions.Session s = session;
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).handle((v, failure) -> {
            if (failure != null) {
                Errors err = KafkaErrors.of(failure);
                answered.forEach(pd -> {
                    if (pd.errorCode() == Errors.NONE.code()) {
                        pd.setErrorCode(err.code()).setErrorMessage(err.message());
                    }
                });
            }
            if (epoch == ShareRequestMetadata.FINAL_EPOCH) {
                sessions.remove(s);
                release(s);
            }
            return new ShareAcknowledgeResponse(out);
        });
    }

    /** As Kafka, before any session work: a group id, READ on the group, a member id. */
    private ApiException refusal(RequestContext context, String groupId, String memberId) {
        if (groupId == null) {
            return Errors.INVALID_REQUEST.exception("Invalid group id in the request.");
        }
        if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, groupId)) {
            return Errors.GROUP_AUTHORIZATION_FAILED.exception();
        }
        if (memberId == null || memberId.isEmpty()) {
            return Errors.INVALID_REQUEST.exception("Invalid member id in the request.");
        }
        return null;
    }

    private static CompletableFuture<AbstractResponse> done(AbstractResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
