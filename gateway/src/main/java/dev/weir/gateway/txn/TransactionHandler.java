package dev.weir.gateway.txn;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnResponse;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.requests.DescribeProducersResponse;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.DescribeTransactionsResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Producer ids and transactions: InitProducerId (idempotent and transactional), AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, DescribeTransactions, ListTransactions, DescribeProducers. (TxnOffsetCommit
 * belongs to the offsets family.)
 */
public final class TransactionHandler implements ApiHandler {
    private final TransactionCoordinator coordinator;
    private final TopicCatalog catalog;
    private final PartitionTransactions partitions;

    private final Access access;

    public TransactionHandler(TransactionCoordinator coordinator, TopicCatalog catalog, PartitionTransactions partitions,
                              Access access) {
        this.access = access;
        this.coordinator = coordinator;
        this.catalog = catalog;
        this.partitions = partitions;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.INIT_PRODUCER_ID, 0, 5),
                ApiSupport.of(ApiKeys.ADD_PARTITIONS_TO_TXN, 0, 5),
                ApiSupport.of(ApiKeys.ADD_OFFSETS_TO_TXN, 0, 4),
                ApiSupport.of(ApiKeys.END_TXN, 0, 5),
                ApiSupport.of(ApiKeys.DESCRIBE_TRANSACTIONS, 0, 0),
                ApiSupport.of(ApiKeys.DESCRIBE_PRODUCERS, 0, 0),
                ApiSupport.of(ApiKeys.LIST_TRANSACTIONS, 0, 2));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof InitProducerIdRequest r) {
            String id = r.data().transactionalId();
            // As Kafka: WRITE on the transactional id; an idempotent producer needs IDEMPOTENT_WRITE on the
            // cluster or WRITE on some topic (KIP-679).
            Errors denied = id != null
                    ? access.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, id) ? Errors.NONE
                            : Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
                    : access.allowedQuietly(context, AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, Access.CLUSTER)
                            || access.allowedOnSome(context, AclOperation.WRITE, ResourceType.TOPIC) ? Errors.NONE
                            : Errors.CLUSTER_AUTHORIZATION_FAILED;
            if (denied != Errors.NONE) {
                return CompletableFuture.completedFuture(r.getErrorResponse(0, denied.exception()));
            }
            return initProducerId(r);
        }
        if (request instanceof AddPartitionsToTxnRequest r) {
            if (r.version() >= 4 && !access.allowedOnCluster(context, AclOperation.CLUSTER_ACTION)) {
                return CompletableFuture.completedFuture(r.getErrorResponse(0,
                        Errors.CLUSTER_AUTHORIZATION_FAILED.exception()));
            }
            return addPartitions(context, r);
        }
        String txnId = request instanceof AddOffsetsToTxnRequest r ? r.data().transactionalId()
                : request instanceof EndTxnRequest r ? r.data().transactionalId() : null;
        if (txnId != null && !access.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txnId)) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0,
                    Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.exception()));
        }
        if (request instanceof AddOffsetsToTxnRequest r
                && !access.allowed(context, AclOperation.READ, ResourceType.GROUP, r.data().groupId())) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0, Errors.GROUP_AUTHORIZATION_FAILED.exception()));
        }
        if (request instanceof AddOffsetsToTxnRequest r) {
            return coordinator.addOffsets(r.data().transactionalId(), r.data().producerId(), r.data().producerEpoch(),
                    r.data().groupId()).thenApply(e -> new AddOffsetsToTxnResponse(
                            new AddOffsetsToTxnResponseData().setErrorCode(fenced(e, r.version() < 2).code())));
        }
        if (request instanceof EndTxnRequest r) {
            // EndTxn v5 is transactions V2: the epoch moves on at every end and the response says to what.
            return coordinator.endTxn(r.data().transactionalId(), r.data().producerId(), r.data().producerEpoch(),
                    r.data().committed(), r.version() >= 5).thenApply(e -> new EndTxnResponse(
                            new EndTxnResponseData().setErrorCode(fenced(e.error(), r.version() < 2).code())
                                    .setProducerId(e.producerId()).setProducerEpoch(e.epoch())));
        }
        if (request instanceof DescribeProducersRequest r) {
            return describeProducers(context, r);
        }
        if (request instanceof DescribeTransactionsRequest r) {
            return CompletableFuture.completedFuture(describe(context, r));
        }
        return CompletableFuture.completedFuture(list(context, (ListTransactionsRequest) request));
    }

    /** Clients before KIP-588 know fencing as INVALID_PRODUCER_EPOCH. */
    private static Errors fenced(Errors e, boolean old) {
        return e == Errors.PRODUCER_FENCED && old ? Errors.INVALID_PRODUCER_EPOCH : e;
    }

    private CompletableFuture<AbstractResponse> initProducerId(InitProducerIdRequest r) {
        String transactionalId = r.data().transactionalId();
        if (transactionalId == null) {
            // Idempotent only: a producer id never handed out before, epoch 0, as Kafka does.
            return catalog.nextProducerId().thenApply(id -> new InitProducerIdResponse(new InitProducerIdResponseData()
                    .setErrorCode(Errors.NONE.code()).setProducerId(id).setProducerEpoch((short) 0)));
        }
        if (transactionalId.isEmpty()) {
            return CompletableFuture.completedFuture(new InitProducerIdResponse(new InitProducerIdResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code()).setProducerId(-1).setProducerEpoch((short) -1)));
        }
        return coordinator.initProducerId(transactionalId, r.data().transactionTimeoutMs(), r.data().producerId(),
                r.data().producerEpoch()).thenApply(res -> new InitProducerIdResponse(new InitProducerIdResponseData()
                        .setErrorCode(fenced(res.error(), r.version() < 4).code()).setProducerId(res.producerId())
                        .setProducerEpoch(res.epoch())));
    }

    private CompletableFuture<AbstractResponse> addPartitions(RequestContext context, AddPartitionsToTxnRequest request) {
        boolean v3 = request.version() < 4;
        AddPartitionsToTxnRequest normalized = v3 ? request.normalizeRequest() : request;
        List<CompletableFuture<AddPartitionsToTxnResult>> results = new ArrayList<>();
        for (AddPartitionsToTxnTransaction t : normalized.data().transactions()) {
            List<TopicPartition> wanted = AddPartitionsToTxnRequest.getPartitions(t.topics());
            Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
            if (!t.verifyOnly() && !access.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                    t.transactionalId())) {
                wanted.forEach(tp -> errors.put(tp, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
                results.add(CompletableFuture.completedFuture(
                        AddPartitionsToTxnResponse.resultForTransaction(t.transactionalId(), errors)));
                continue;
            }
            Set<String> writable = access.filter(context, AclOperation.WRITE, ResourceType.TOPIC,
                    wanted.stream().map(TopicPartition::topic).toList(), true);
            boolean unknown = false;
            for (TopicPartition tp : wanted) {
                Optional<TopicMeta> topic = catalog.byName(tp.topic());
                boolean exists = topic.isPresent() && tp.partition() >= 0 && tp.partition() < topic.get().partitions();
                boolean allowed = writable.contains(tp.topic());
                unknown |= !exists || !allowed;
                errors.put(tp, !allowed ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : exists ? Errors.NONE : Errors.UNKNOWN_TOPIC_OR_PARTITION);
            }
            if (unknown) {
                errors.replaceAll((tp, e) -> e == Errors.NONE ? Errors.OPERATION_NOT_ATTEMPTED : e);
                results.add(CompletableFuture.completedFuture(
                        AddPartitionsToTxnResponse.resultForTransaction(t.transactionalId(), errors)));
                continue;
            }
            if (t.verifyOnly()) {
                wanted.forEach(tp -> errors.put(tp, coordinator.verify(t.transactionalId(), t.producerId(),
                        t.producerEpoch(), tp)));
                results.add(CompletableFuture.completedFuture(
                        AddPartitionsToTxnResponse.resultForTransaction(t.transactionalId(), errors)));
                continue;
            }
            results.add(coordinator.addPartitions(t.transactionalId(), t.producerId(), t.producerEpoch(), wanted)
                    .thenApply(e -> {
                        Errors each = fenced(e, request.version() < 2);
                        errors.replaceAll((tp, x) -> each);
                        return AddPartitionsToTxnResponse.resultForTransaction(t.transactionalId(), errors);
                    }));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(x -> {
            AddPartitionsToTxnResponseData out = new AddPartitionsToTxnResponseData();
            if (v3) {
                out.setResultsByTopicV3AndBelow(results.get(0).join().topicResults());
            } else {
                results.forEach(f -> out.resultsByTransaction().add(f.join()));
            }
            return new AddPartitionsToTxnResponse(out);
        });
    }

    private CompletableFuture<AbstractResponse> describeProducers(RequestContext context, DescribeProducersRequest r) {
        DescribeProducersResponseData out = new DescribeProducersResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        Set<String> readable = access.filter(context, AclOperation.READ, ResourceType.TOPIC,
                r.data().topics().stream().map(DescribeProducersRequestData.TopicRequest::name).toList(), true);
        for (DescribeProducersRequestData.TopicRequest t : r.data().topics()) {
            DescribeProducersResponseData.TopicResponse rt = new DescribeProducersResponseData.TopicResponse()
                    .setName(t.name());
            out.topics().add(rt);
            Optional<TopicMeta> topic = catalog.byName(t.name());
            for (int p : t.partitionIndexes()) {
                DescribeProducersResponseData.PartitionResponse rp = new DescribeProducersResponseData.PartitionResponse()
                        .setPartitionIndex(p);
                rt.partitions().add(rp);
                if (!readable.contains(t.name())) {
                    rp.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                            .setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message());
                    continue;
                }
                if (topic.isEmpty() || p < 0 || p >= topic.get().partitions()) {
                    rp.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                all.add(partitions.producers(topic.get().segment(p)).handle((producers, failure) -> {
                    if (failure != null) {
                        rp.setErrorCode(dev.weir.gateway.api.KafkaErrors.of(failure).code());
                        return null;
                    }
                    for (PartitionTransactions.ActiveProducer a : producers) {
                        rp.activeProducers().add(new DescribeProducersResponseData.ProducerState()
                                .setProducerId(a.producerId()).setProducerEpoch(a.epoch())
                                .setLastSequence(a.lastSequence()).setLastTimestamp(a.lastWriteMs())
                                .setCoordinatorEpoch(-1).setCurrentTxnStartOffset(a.txnStartOffset()));
                    }
                    return null;
                }));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new DescribeProducersResponse(out));
    }

    private AbstractResponse describe(RequestContext context, DescribeTransactionsRequest r) {
        DescribeTransactionsResponseData out = new DescribeTransactionsResponseData();
        for (String id : r.data().transactionalIds()) {
            DescribeTransactionsResponseData.TransactionState s = new DescribeTransactionsResponseData.TransactionState()
                    .setTransactionalId(id);
            out.transactionStates().add(s);
            if (!access.allowed(context, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id)) {
                s.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()).setTransactionState("")
                        .setProducerId(-1).setProducerEpoch((short) -1).setTransactionStartTimeMs(-1);
                continue;
            }
            Optional<TransactionCoordinator.Description> d = coordinator.describe(id);
            if (d.isEmpty()) {
                s.setErrorCode(Errors.TRANSACTIONAL_ID_NOT_FOUND.code()).setTransactionState("")
                        .setProducerId(-1).setProducerEpoch((short) -1).setTransactionStartTimeMs(-1);
                continue;
            }
            s.setErrorCode(Errors.NONE.code()).setTransactionState(d.get().state())
                    .setTransactionTimeoutMs(d.get().timeoutMs()).setTransactionStartTimeMs(d.get().startMs())
                    .setProducerId(d.get().producerId()).setProducerEpoch(d.get().epoch());
            Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
            d.get().partitions().forEach(tp -> byTopic.computeIfAbsent(tp.topic(), n -> new ArrayList<>()).add(tp.partition()));
            byTopic.forEach((topic, ps) -> s.topics().add(new DescribeTransactionsResponseData.TopicData()
                    .setTopic(topic).setPartitions(ps)));
        }
        return new DescribeTransactionsResponse(out);
    }

    private AbstractResponse list(RequestContext context, ListTransactionsRequest r) {
        Map<String, TransactionCoordinator.State> byName = new HashMap<>();
        for (TransactionCoordinator.State s : TransactionCoordinator.State.values()) {
            byName.put(s.kafkaName, s);
        }
        ListTransactionsResponseData out = new ListTransactionsResponseData().setErrorCode(Errors.NONE.code());
        for (String s : r.data().stateFilters()) {
            if (!byName.containsKey(s)) {
                out.unknownStateFilters().add(s);
            }
        }
        Set<String> states = Set.copyOf(r.data().stateFilters());
        Set<Long> producers = Set.copyOf(r.data().producerIdFilters());
        long minDuration = r.version() >= 1 ? r.data().durationFilter() : -1;
        Pattern pattern = r.version() >= 2 && r.data().transactionalIdPattern() != null
                && !r.data().transactionalIdPattern().isEmpty() ? Pattern.compile(r.data().transactionalIdPattern()) : null;
        long now = System.currentTimeMillis();
        for (TransactionCoordinator.Description d : coordinator.list()) {
            if ((!states.isEmpty() && !states.contains(d.state()))
                    || (!producers.isEmpty() && !producers.contains(d.producerId()))
                    || (minDuration >= 0 && (d.startMs() < 0 || now - d.startMs() < minDuration))
                    || (pattern != null && !pattern.matcher(d.transactionalId()).matches())
                    || !access.allowedQuietly(context, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID,
                            d.transactionalId())) {
                continue;
            }
            out.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                    .setTransactionalId(d.transactionalId()).setProducerId(d.producerId()).setTransactionState(d.state()));
        }
        return new ListTransactionsResponse(out);
    }
}
