package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.security.Access;
import dev.weir.storage.SegmentInfo;
import dev.weir.storage.SegmentStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** ListOffsets: earliest, latest, max timestamp, and the first offset at or after a timestamp. */
public final class ListOffsetsHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final PartitionTransactions transactions;
    private final Access access;

    public ListOffsetsHandler(TopicCatalog catalog, SegmentStore store, PartitionTransactions transactions,
                              Access access) {
        this.access = access;
        this.catalog = catalog;
        this.store = store;
        this.transactions = transactions;
    }

    private volatile FetchHandler.EpochCheck epochCheck;
    private volatile java.util.function.ToIntFunction<String> epochs;

    /** In a cluster: the current leader epoch is checked, as in Kafka, and reported with each offset. */
    public ListOffsetsHandler inCluster(FetchHandler.EpochCheck check, java.util.function.ToIntFunction<String> epochs) {
        this.epochCheck = check;
        this.epochs = epochs;
        return this;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.LIST_OFFSETS, 1, 11));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        ListOffsetsRequest req = (ListOffsetsRequest) request;
        ListOffsetsResponseData data = new ListOffsetsResponseData();
        boolean readCommitted = req.isolationLevel() == IsolationLevel.READ_COMMITTED;
        List<CompletableFuture<?>> all = new ArrayList<>();
        java.util.Set<String> describable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                req.data().topics().stream().map(ListOffsetsTopic::name).toList(), true);
        for (ListOffsetsTopic t : req.data().topics()) {
            ListOffsetsTopicResponse tr = new ListOffsetsTopicResponse().setName(t.name());
            data.topics().add(tr);
            Optional<TopicMeta> topic = catalog.byName(t.name());
            for (ListOffsetsPartition p : t.partitions()) {
                ListOffsetsPartitionResponse pr = new ListOffsetsPartitionResponse().setPartitionIndex(p.partitionIndex())
                        .setOffset(-1).setTimestamp(-1).setLeaderEpoch(-1);
                tr.partitions().add(pr);
                if (!describable.contains(t.name())) {
                    pr.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                if (topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                String segment = topic.get().segment(p.partitionIndex());
                if (!store.leads(segment)) {
                    pr.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                    continue;
                }
                Errors fenced = epochCheck == null ? null : epochCheck.check(segment, p.currentLeaderEpoch());
                if (fenced != null) {
                    pr.setErrorCode(fenced.code());
                    continue;
                }
                if (epochs != null) {
                    pr.setLeaderEpoch(epochs.applyAsInt(segment));
                }
                all.add(lookup(segment, p.timestamp(), readCommitted).handle((found, e) -> {
                    if (e != null) {
                        pr.setErrorCode(KafkaErrors.of(e).code());
                    } else {
                        pr.setErrorCode(Errors.NONE.code()).setOffset(found.offset()).setTimestamp(found.timestamp());
                    }
                    return null;
                }));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> new ListOffsetsResponse(data));
    }

    private static final RecordLookup.Found NONE = new RecordLookup.Found(-1, -1);

    private CompletableFuture<RecordLookup.Found> lookup(String segment, long timestamp, boolean readCommitted) {
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            return store.getInfo(segment).thenApply(i -> new RecordLookup.Found(i.startOffset(), -1));
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            // For read_committed consumers the end is the last stable offset.
            return store.getInfo(segment).thenApply(i -> new RecordLookup.Found(
                    readCommitted ? transactions.lastStableOffset(segment, i.nextOffset()) : i.nextOffset(), -1));
        }
        if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
            return store.getInfo(segment).thenCompose(info -> maxTimestamp(segment, info));
        }
        if (timestamp < 0) {
            // latest-tiered and other special values: Weir has no tiered storage
            return CompletableFuture.completedFuture(NONE);
        }
        return store.findOffsetByTimestamp(segment, timestamp).thenCompose(base -> {
            if (base < 0) {
                return CompletableFuture.completedFuture(NONE);
            }
            return store.read(segment, base, 1).thenApply(r -> {
                long start = r.info().startOffset();
                if (r.entries().isEmpty()) {
                    return NONE;
                }
                RecordLookup.Found f = RecordLookup.first(r.entries().get(0), start, ts -> ts >= timestamp);
                return f == null ? NONE : f;
            });
        });
    }

    private CompletableFuture<RecordLookup.Found> maxTimestamp(String segment, SegmentInfo info) {
        if (info.maxTimestampOffset() < 0 || info.maxTimestampOffset() < info.startOffset()
                || info.nextOffset() == info.startOffset()) {
            return CompletableFuture.completedFuture(NONE);
        }
        return store.read(segment, info.maxTimestampOffset(), 1).thenApply(r -> {
            if (r.entries().isEmpty()) {
                return NONE;
            }
            RecordLookup.Found f = RecordLookup.first(r.entries().get(0), info.startOffset(),
                    ts -> ts == info.maxTimestamp());
            return f == null ? NONE : f;
        });
    }
}
