package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/**
 * OffsetForLeaderEpoch. A single node reports every partition's leader epoch as -1 (unknown), so
 * no epoch a client asks about exists: the answer is Kafka's "undefined epoch" (-1, -1). Clients
 * that see -1 in Metadata never validate positions this way. A cluster has real epochs.
 */
public final class OffsetForLeaderEpochHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final Access access;

    public OffsetForLeaderEpochHandler(TopicCatalog catalog, Access access) {
        this.catalog = catalog;
        this.access = access;
    }

    private volatile dev.weir.storage.SegmentStore store;
    private volatile FetchHandler.EpochCheck epochCheck;
    private volatile java.util.function.ToIntFunction<String> epochs;

    /** In a cluster: epochs are answered from the partition's (see {@link #inCluster(String, OffsetForLeaderPartition, EpochEndOffset)}). */
    public OffsetForLeaderEpochHandler inCluster(dev.weir.storage.SegmentStore store, FetchHandler.EpochCheck check,
                                                 java.util.function.ToIntFunction<String> epochs) {
        this.store = store;
        this.epochCheck = check;
        this.epochs = epochs;
        return this;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.OFFSET_FOR_LEADER_EPOCH, 2, 4));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        OffsetsForLeaderEpochRequest req = (OffsetsForLeaderEpochRequest) request;
        OffsetForLeaderEpochResponseData data = new OffsetForLeaderEpochResponseData();
        List<CompletableFuture<?>> pending = new java.util.ArrayList<>();
        java.util.Set<String> describable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                req.data().topics().stream().map(OffsetForLeaderTopic::topic).toList(), true);
        for (OffsetForLeaderTopic t : req.data().topics()) {
            OffsetForLeaderTopicResult tr = new OffsetForLeaderTopicResult().setTopic(t.topic());
            data.topics().add(tr);
            Optional<TopicMeta> topic = catalog.byName(t.topic());
            for (OffsetForLeaderPartition p : t.partitions()) {
                boolean known = topic.isPresent() && p.partition() >= 0 && p.partition() < topic.get().partitions();
                Errors error = !describable.contains(t.topic()) ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : known ? Errors.NONE : Errors.UNKNOWN_TOPIC_OR_PARTITION;
                EpochEndOffset answer = new EpochEndOffset().setPartition(p.partition())
                        .setErrorCode(error.code())
                        .setLeaderEpoch(-1).setEndOffset(-1);
                tr.partitions().add(answer);
                if (error == Errors.NONE && store != null) {
                    pending.add(inCluster(topic.get().segment(p.partition()), p, answer));
                }
            }
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .thenApply(v -> new OffsetsForLeaderEpochResponse(data));
    }

    /**
     * In a cluster epochs are Raft terms. Raft never truncates a committed record and only committed
     * records are read, so every epoch up to the current one ends, for a client, at the log end:
     * the answer for an epoch at or below the current is that epoch and the log end offset, which
     * tells a validating consumer that nothing it read was truncated. A newer epoch than the
     * partition's is unknown (-1, -1), as in Kafka.
     */
    private CompletableFuture<Void> inCluster(String segment, OffsetForLeaderPartition p, EpochEndOffset answer) {
        if (!store.leads(segment)) {
            answer.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            return CompletableFuture.completedFuture(null);
        }
        Errors fenced = epochCheck.check(segment, p.currentLeaderEpoch());
        if (fenced != null) {
            answer.setErrorCode(fenced.code());
            return CompletableFuture.completedFuture(null);
        }
        int current = epochs.applyAsInt(segment);
        if (p.leaderEpoch() > current) {
            return CompletableFuture.completedFuture(null);
        }
        return store.getInfo(segment).handle((info, e) -> {
            if (e != null) {
                answer.setErrorCode(KafkaErrors.of(e).code());
            } else {
                answer.setLeaderEpoch(p.leaderEpoch()).setEndOffset(info.nextOffset());
            }
            return null;
        });
    }
}
