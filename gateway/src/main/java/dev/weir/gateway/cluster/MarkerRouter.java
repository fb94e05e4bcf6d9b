package dev.weir.gateway.cluster;

import dev.weir.gateway.handler.BrokerIdentity;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.storage.SegmentStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the transaction coordinator's markers go in a cluster: a partition this node leads gets
 * its marker written here; any other gets a WriteTxnMarkers request to its leader, retried while
 * the partition is between leaders (for up to a minute, then the ending is left to the
 * coordinator's retry of stuck endings).
 */
public final class MarkerRouter {
    private static final Logger log = LoggerFactory.getLogger(MarkerRouter.class);
    private static final long RETRY_MS = 200;
    private static final long GIVE_UP_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final SegmentStore store;
    private final PartitionTransactions partitions;
    private final BrokerIdentity identity;
    private final PeerClient peers;

    public MarkerRouter(SegmentStore store, PartitionTransactions partitions, BrokerIdentity identity, PeerClient peers) {
        this.store = store;
        this.partitions = partitions;
        this.identity = identity;
        this.peers = peers;
    }

    public CompletableFuture<?> write(TopicPartition tp, String segment, long producerId, short epoch, boolean commit,
                                      int coordinatorEpoch) {
        return attempt(tp, segment, producerId, epoch, commit, coordinatorEpoch, System.nanoTime() + GIVE_UP_NANOS);
    }

    private CompletableFuture<?> attempt(TopicPartition tp, String segment, long producerId, short epoch, boolean commit,
                                         int coordinatorEpoch, long deadline) {
        CompletableFuture<Errors> written;
        if (store.leads(segment)) {
            written = partitions.writeMarker(segment, producerId, epoch, commit, coordinatorEpoch)
                    .handle((offset, e) -> e == null ? Errors.NONE : dev.weir.gateway.api.KafkaErrors.of(e));
        } else {
            int leader = identity.leaderOf(segment);
            if (leader < 0) {
                written = CompletableFuture.completedFuture(Errors.LEADER_NOT_AVAILABLE);
            } else {
                WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData().setMarkers(List.of(
                        new WriteTxnMarkersRequestData.WritableTxnMarker()
                                .setProducerId(producerId).setProducerEpoch(epoch).setTransactionResult(commit)
                                .setCoordinatorEpoch(coordinatorEpoch)
                                .setTopics(List.of(new WriteTxnMarkersRequestData.WritableTxnMarkerTopic()
                                        .setName(tp.topic()).setPartitionIndexes(List.of(tp.partition()))))));
                written = peers.send(leader, new WriteTxnMarkersRequest.Builder(data), (short) 1)
                        .handle((response, e) -> {
                            if (e != null) {
                                log.debug("Marker for {} to node {} failed: {}", tp, leader, e.toString());
                                return Errors.NETWORK_EXCEPTION;
                            }
                            Errors error = ((WriteTxnMarkersResponse) response).errorsByProducerId()
                                    .getOrDefault(producerId, java.util.Map.of()).get(tp);
                            return error == null ? Errors.UNKNOWN_SERVER_ERROR : error;
                        });
            }
        }
        return written.thenCompose(error -> {
            if (error == Errors.NONE) {
                return CompletableFuture.completedFuture(null);
            }
            boolean retriable = error.exception() instanceof org.apache.kafka.common.errors.RetriableException
                    || error == Errors.NETWORK_EXCEPTION || error == Errors.LEADER_NOT_AVAILABLE;
            if (!retriable || System.nanoTime() > deadline) {
                return CompletableFuture.failedFuture(error.exception("the " + (commit ? "commit" : "abort")
                        + " marker of producer " + producerId + " on " + tp + " failed: " + error.name()));
            }
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(RETRY_MS, TimeUnit.MILLISECONDS))
                    .thenCompose(v -> attempt(tp, segment, producerId, epoch, commit, coordinatorEpoch, deadline));
        });
    }
}
