package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import dev.weir.storage.SegmentStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** DeleteRecords: moves a partition's log start offset forward (a segment truncation). */
public final class DeleteRecordsHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final Access access;

    public DeleteRecordsHandler(TopicCatalog catalog, SegmentStore store, Access access) {
        this.access = access;
        this.catalog = catalog;
        this.store = store;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DELETE_RECORDS, 0, 2));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        DeleteRecordsRequest req = (DeleteRecordsRequest) request;
        DeleteRecordsResponseData data = new DeleteRecordsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        java.util.Set<String> deletable = access.filter(context, AclOperation.DELETE, ResourceType.TOPIC,
                req.data().topics().stream().map(DeleteRecordsTopic::name).toList(), true);
        for (DeleteRecordsTopic t : req.data().topics()) {
            DeleteRecordsTopicResult tr = new DeleteRecordsTopicResult().setName(t.name());
            data.topics().add(tr);
            Optional<TopicMeta> topic = catalog.byName(t.name());
            for (DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsPartitionResult pr = new DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex())
                        .setLowWatermark(-1);
                tr.partitions().add(pr);
                if (!deletable.contains(t.name())) {
                    pr.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                if (topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                String segment = topic.get().segment(p.partitionIndex());
                long requested = p.offset();
                all.add(store.getInfo(segment).thenCompose(info -> {
                    long target = requested == DeleteRecordsRequest.HIGH_WATERMARK ? info.nextOffset() : requested;
                    if (target < 0 || target > info.nextOffset()) {
                        throw new OffsetOutOfRangeException("Cannot increment the log start offset to " + target
                                + " of partition " + t.name() + "-" + p.partitionIndex()
                                + " since it is larger than the high watermark " + info.nextOffset());
                    }
                    return store.truncate(segment, target);
                }).handle((start, e) -> {
                    if (e != null) {
                        pr.setErrorCode(KafkaErrors.of(e).code());
                    } else {
                        pr.setErrorCode(Errors.NONE.code()).setLowWatermark(start);
                    }
                    return null;
                }));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new DeleteRecordsResponse(data));
    }
}
