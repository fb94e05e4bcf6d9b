package dev.weir.gateway.cluster;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.security.Access;
import dev.weir.storage.SegmentStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.kafka.common.resource.ResourceType;

/**
 * WriteTxnMarkers, Kafka's inter-broker API, served in a cluster only: the transaction coordinator
 * (the controller) sends the commit or abort markers of partitions it does not lead to their
 * leaders, as Kafka's coordinator does. Each marker is written as the coordinator would write it
 * locally, with the same conditions; a partition led elsewhere answers NOT_LEADER_OR_FOLLOWER.
 */
public final class TxnMarkerHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final PartitionTransactions partitions;
    private final Access access;

    public TxnMarkerHandler(TopicCatalog catalog, SegmentStore store, PartitionTransactions partitions, Access access) {
        this.catalog = catalog;
        this.store = store;
        this.partitions = partitions;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.WRITE_TXN_MARKERS, 1, 1));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        WriteTxnMarkersRequest req = (WriteTxnMarkersRequest) request;
        WriteTxnMarkersResponseData data = new WriteTxnMarkersResponseData();
        boolean allowed = access.allowed(context, AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, Access.CLUSTER);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (WritableTxnMarker m : req.data().markers()) {
            WritableTxnMarkerResult mr = new WritableTxnMarkerResult().setProducerId(m.producerId());
            data.markers().add(mr);
            for (WritableTxnMarkerTopic t : m.topics()) {
                WritableTxnMarkerTopicResult tr = new WritableTxnMarkerTopicResult().setName(t.name());
                mr.topics().add(tr);
                Optional<TopicMeta> topic = catalog.byName(t.name());
                for (int p : t.partitionIndexes()) {
                    WritableTxnMarkerPartitionResult pr = new WritableTxnMarkerPartitionResult().setPartitionIndex(p);
                    tr.partitions().add(pr);
                    if (!allowed) {
                        pr.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code());
                        continue;
                    }
                    if (topic.isEmpty() || p < 0 || p >= topic.get().partitions()) {
                        pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                        continue;
                    }
                    String segment = topic.get().segment(p);
                    if (!store.leads(segment)) {
                        pr.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                        continue;
                    }
                    all.add(partitions.writeMarker(segment, m.producerId(), m.producerEpoch(), m.transactionResult(),
                                    m.coordinatorEpoch())
                            .handle((offset, e) -> pr.setErrorCode(e == null ? Errors.NONE.code() : KafkaErrors.of(e).code())));
                }
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> new WriteTxnMarkersResponse(data));
    }
}
