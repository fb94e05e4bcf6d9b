package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.api.RejectedRecords;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicConfigs;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.metrics.KafkaMetrics;
import dev.weir.gateway.producer.AllConditions;
import dev.weir.gateway.producer.KeyOffsetCheck;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.gateway.producer.ProducerStateCheck;
import dev.weir.gateway.quota.ByteRateQuotas;
import dev.weir.gateway.security.Access;
import dev.weir.gateway.txn.TransactionCoordinator;
import dev.weir.gateway.watermark.WatermarkService;
import dev.weir.storage.Append;
import dev.weir.storage.AppendCondition;
import dev.weir.storage.BadOffsetException;
import dev.weir.storage.ConditionFailedException;
import dev.weir.storage.Entry;
import dev.weir.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.BatchIndexAndErrorMessage;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Produce: validates each partition's batch as Kafka's broker does (magic 2, one batch, CRC,
 * size, record count, timestamps, keys on compacted topics) and appends it to the partition's
 * segment exactly as sent; the store writes the assigned base offset into the batch header.
 * A batch with invalid records is refused whole, and the answer names each of them (KIP-467),
 * whether Kafka's checks refused it or one of Weir's headers.
 * Appends are submitted in request order, so pipelined requests on a connection keep their order.
 */
public final class ProduceHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final TopicConfigs topicConfigs;
    private final SegmentStore store;
    private final long producerIdExpirationMs;
    private final TransactionCoordinator transactions;
    private final PartitionTransactions partitionTransactions;
    private final WatermarkService watermarks;
    private final ByteRateQuotas byteRates;
    private final Access access;
    private final KafkaMetrics kafkaMetrics;
    /** Per partition, when the last transactional V2 batch was issued to the store. */
    private final java.util.Map<String, CompletableFuture<Void>> transactionalIssueOrder = new java.util.HashMap<>();

    public ProduceHandler(TopicCatalog catalog, TopicConfigs topicConfigs, SegmentStore store,
                          long producerIdExpirationMs, TransactionCoordinator transactions,
                          PartitionTransactions partitionTransactions, WatermarkService watermarks,
                          ByteRateQuotas byteRates, Access access, KafkaMetrics kafkaMetrics) {
        this.catalog = catalog;
        this.topicConfigs = topicConfigs;
        this.store = store;
        this.producerIdExpirationMs = producerIdExpirationMs;
        this.transactions = transactions;
        this.partitionTransactions = partitionTransactions;
        this.watermarks = watermarks;
        this.byteRates = byteRates;
        this.access = access;
        this.kafkaMetrics = kafkaMetrics;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.PRODUCE, 3, 13));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        ProduceRequest req = (ProduceRequest) request;
        short version = context.apiVersion();
        boolean byId = version >= 13;
        short acks = req.acks();
        List<CompletableFuture<?>> all = new ArrayList<>();
        TimeNotes notes = new TimeNotes();
        long bytes = 0;
        ProduceResponseData response = new ProduceResponseData();
        // As Kafka: transactional records need WRITE on the transactional id (else the whole request
        // fails), and each topic needs WRITE, checked before whether it exists.
        // (Without an authorizer none of this runs: the produce path stays as it was.)
        java.util.Set<String> writable = null;
        if (access.enabled()) {
            if (RequestUtils.hasTransactionalRecords(req) && (req.transactionalId() == null
                    || !access.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId()))) {
                return CompletableFuture.completedFuture(req.getErrorResponse(0,
                        Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.exception()));
            }
            writable = access.filter(context, AclOperation.WRITE, ResourceType.TOPIC,
                    req.data().topicData().stream().map(td -> byId ? catalog.byId(td.topicId()).map(TopicMeta::name)
                            .orElse(null) : td.name()).filter(java.util.Objects::nonNull).toList(), true);
        }
        for (ProduceRequestData.TopicProduceData td : req.data().topicData()) {
            TopicProduceResponse tr = new TopicProduceResponse().setName(td.name()).setTopicId(td.topicId());
            response.responses().add(tr);
            Optional<TopicMeta> topic = byId ? catalog.byId(td.topicId()) : catalog.byName(td.name());
            for (ProduceRequestData.PartitionProduceData pd : td.partitionData()) {
                bytes += pd.records() == null ? 0 : pd.records().sizeInBytes();
                PartitionProduceResponse pr = new PartitionProduceResponse().setIndex(pd.index())
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                tr.partitionResponses().add(pr);
                if (acks != 0 && acks != 1 && acks != -1) {
                    fail(pr, Errors.INVALID_REQUIRED_ACKS, null);
                } else if (writable != null && (topic.isPresent() || !byId)
                        && !writable.contains(topic.map(TopicMeta::name).orElse(td.name()))) {
                    fail(pr, Errors.TOPIC_AUTHORIZATION_FAILED, null);
                } else if (topic.isEmpty()) {
                    fail(pr, byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION, null);
                } else if (pd.index() < 0 || pd.index() >= topic.get().partitions()) {
                    fail(pr, Errors.UNKNOWN_TOPIC_OR_PARTITION, null);
                } else if (TopicCatalog.isInternal(topic.get().name())) {
                    fail(pr, Errors.INVALID_TOPIC_EXCEPTION, "Topic " + topic.get().name()
                            + " is written by the gateway only");
                } else if (acks == -1 && tooFewInSync(topic.get(), pd.index(), pr)) {
                    continue;
                } else {
                    all.add(append(version, topic.get(), pd, pr, context.clientId(), notes));
                }
            }
        }
        CompletableFuture<Void> done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        if (notes.any) {
            watermarks.noteInOrder(context.connectionId(), done, notes.appended);
        }
        // As Kafka: the request's bytes count against the client's producer_byte_rate once appended,
        // and an answer over quota tells the client how long to hold back. An acks=0 request gets the
        // same response, which the connection does not send but acts on (close on error, or throttle).
        long requestBytes = bytes;
        CompletableFuture<Integer> throttleMs = done.thenApply(v -> byteRates.record(ByteRateQuotas.Kind.PRODUCE,
                context.principal.getName(), context.clientId(), requestBytes, System.currentTimeMillis()));
        return throttleMs.thenApply(ms -> new ProduceResponse(response.setThrottleTimeMs(ms)));
    }

    /** In a cluster: the in-sync replicas of a partition's segment, as its leader sees them. */
    private volatile java.util.function.Function<String, List<Integer>> inSyncReplicas;

    /** In a cluster: a partition's segment to its leader epoch. */
    private volatile java.util.function.ToIntFunction<String> leaderEpochs;

    /**
     * In a cluster: acks=all produce checks min.insync.replicas against the ISR, as Kafka does, and
     * batches are stamped with the leader epoch.
     */
    public ProduceHandler inCluster(java.util.function.Function<String, List<Integer>> inSyncReplicas,
                                    java.util.function.ToIntFunction<String> leaderEpochs) {
        this.inSyncReplicas = inSyncReplicas;
        this.leaderEpochs = leaderEpochs;
        return this;
    }

    /** As Kafka: acks=all to a partition whose ISR is below min.insync.replicas fails with NOT_ENOUGH_REPLICAS. */
    private boolean tooFewInSync(TopicMeta topic, int partition, PartitionProduceResponse pr) {
        java.util.function.Function<String, List<Integer>> isr = inSyncReplicas;
        if (isr == null) {
            return false;
        }
        int min = topicConfigs.effective(topic).minInsyncReplicas();
        if (min <= 1) {
            return false; // the leader is always in sync: no need to ask Ratis (the default, on every produce)
        }
        List<Integer> inSync = isr.apply(topic.segment(partition));
        if (inSync.size() >= min) {
            return false;
        }
        fail(pr, Errors.NOT_ENOUGH_REPLICAS, "The size of the current ISR " + inSync
                + " is insufficient to satisfy the min.isr requirement of " + min + " for partition "
                + topic.name() + "-" + partition);
        return true;
    }

    /** Appends one partition's batch and counts it in Kafka's BrokerTopicMetrics of its topic. */
    private CompletableFuture<Void> append(short version, TopicMeta topic, ProduceRequestData.PartitionProduceData pd,
                                           PartitionProduceResponse pr, String clientId, TimeNotes notes) {
        KafkaMetrics.TopicMeters meters = kafkaMetrics.topic(topic.name());
        return appendPartition(version, topic, pd, pr, clientId, notes).whenComplete((v, failure) -> {
            Errors error = failure != null ? KafkaErrors.of(failure) : Errors.forCode(pr.errorCode());
            // Failed: as Kafka counts it, a refused record or an unexpected error; a batch too large,
            // corrupt or meeting a full store is not counted as a failed request.
            meters.produceRequest(error != Errors.NONE && error != Errors.MESSAGE_TOO_LARGE
                    && error != Errors.CORRUPT_MESSAGE && error != Errors.KAFKA_STORAGE_ERROR);
            if (error == Errors.NONE && pd.records() instanceof MemoryRecords records) {
                // As Kafka: MessagesInPerSec counts records, BytesInPerSec the batch's bytes.
                for (MutableRecordBatch batch : records.batches()) {
                    meters.appended((int) (batch.lastOffset() - batch.baseOffset() + 1), batch.sizeInBytes());
                }
            }
        });
    }

    private CompletableFuture<Void> appendPartition(short version, TopicMeta topic,
                                                    ProduceRequestData.PartitionProduceData pd,
                                                    PartitionProduceResponse pr, String clientId, TimeNotes notes) {
        if (!(pd.records() instanceof MemoryRecords records)) {
            fail(pr, Errors.INVALID_RECORD, "Produce request carries no records for partition " + pd.index());
            return CompletableFuture.completedFuture(null);
        }
        TopicConfigs.Effective config = topicConfigs.effective(topic);
        Validated validated;
        long now = System.currentTimeMillis();
        TopicPartition partition = new TopicPartition(topic.name(), pd.index());
        try {
            ProduceRequest.validateRecords(version, records);
            validated = validate(records, config, now, partition);
        } catch (ApiException e) {
            fail(pr, Errors.forException(e), e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        String segment = topic.segment(pd.index());
        if (validated.rejected() != null) {
            return reject(pr, segment, validated.rejected());
        }
        MutableRecordBatch batch = validated.batch();
        OptionalLong expectedOffset = validated.expectedOffset();
        KeyOffsetCheck keyedMap = validated.keyed() == null ? null
                : new KeyOffsetCheck(partition.toString(), validated.keyed());
        WeirHeaders.TimeNote timeNote = validated.timeNote();
        if (timeNote != null) {
            notes.any = true;
        }
        if (config.logAppendTime()) {
            batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, now);
        }
        batch.setPartitionLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
        ByteBuffer bytes = records.buffer();
        int records1 = (int) (batch.lastOffset() - batch.baseOffset() + 1);
        long maxTimestamp = config.logAppendTime() ? now : batch.maxTimestamp();
        // In a cluster the batch also carries the partition's leader epoch, as Kafka's leaders stamp it
        // (outside the CRC, like the base offset); a consumer's position then has an epoch to validate.
        int epoch = leaderEpochs == null ? -1 : leaderEpochs.applyAsInt(segment);
        Entry entry = new Entry(bytes, records1, maxTimestamp, epoch < 0
                ? (data, baseOffset) -> data.putLong(data.position(), baseOffset)
                : (data, baseOffset) -> data.putLong(data.position(), baseOffset).putInt(data.position() + 12, epoch));
        Append append = Append.of(entry);
        if (expectedOffset.isPresent()) {
            // The State Synchronizer's conditional append: checked by the sequencer, a true compare-and-set.
            append = append.expectingOffset(expectedOffset.getAsLong());
        }
        boolean transactional = batch.isTransactional();
        CompletableFuture<Errors> admitted = CompletableFuture.completedFuture(Errors.NONE);
        if (transactional) {
            // Transactions V1: the producer added the partition to its open transaction beforehand.
            // V2 (Produce v12+): the produce adds it, durably, before the batch is appended.
            // In a cluster, a partition leader other than the coordinator (the controller) takes V1
            // batches unverified, as Kafka's partition leaders did before KIP-890's verification.
            admitted = version >= 12 ? transactions.addImplicitly(batch.producerId(), batch.producerEpoch(), partition)
                    : !catalog.isController() ? CompletableFuture.completedFuture(Errors.NONE)
                    : CompletableFuture.completedFuture(transactions.verifyProduce(batch.producerId(),
                            batch.producerEpoch(), partition));
        }
        ProducerStateCheck producerState = null;
        if (batch.hasProducerId() && batch.baseSequence() != RecordBatch.NO_SEQUENCE) {
            producerState = new ProducerStateCheck(partition.toString(), batch.producerId(),
                    batch.producerEpoch(), batch.baseSequence(), batch.lastSequence(), transactional,
                    transactional ? partitionTransactions.opening(segment, batch.producerId()) : null,
                    now, producerIdExpirationMs);
        }
        // A retried duplicate is recognised before the keyed map would take it for a conflict.
        AppendCondition conditions = AllConditions.of(producerState, keyedMap);
        if (conditions != null) {
            append = append.withCondition(conditions);
        }
        Append checked = append;
        CompletableFuture<Void> appended = appendInOrder(version, segment, checked, transactional, admitted, batch,
                config, now, pr);
        if (timeNote == null) {
            return appended;
        }
        return appended.thenRun(() -> {
            if (pr.errorCode() == Errors.NONE.code()) {
                notes.appended.add(new WatermarkService.Note(topic.name(), timeNote.writer() == null ? clientId : timeNote.writer(),
                        timeNote.time(), pd.index(), pr.baseOffset() + records1));
            }
        });
    }

    private CompletableFuture<Void> appendInOrder(short version, String segment, Append checked, boolean transactional,
                                                  CompletableFuture<Errors> admitted, MutableRecordBatch batch,
                                                  TopicConfigs.Effective config, long now, PartitionProduceResponse pr) {
        if (!transactional || version < 12) {
            Errors e = admitted.join();
            if (e != Errors.NONE) {
                return refused(pr, batch, e);
            }
            return appendChecked(segment, checked, transactional, batch, config, now, pr);
        }
        // The implicit add completes later than the append of a batch whose partition was already in
        // the transaction; batches are issued to the store in the order they arrived all the same.
        CompletableFuture<CompletableFuture<Void>> issued;
        synchronized (transactionalIssueOrder) {
            CompletableFuture<Void> previous = transactionalIssueOrder.getOrDefault(segment,
                    CompletableFuture.completedFuture(null));
            issued = previous.thenCombine(admitted, (x, e) -> e == Errors.NONE
                    ? appendChecked(segment, checked, true, batch, config, now, pr) : refused(pr, batch, e));
            transactionalIssueOrder.put(segment, issued.handle((x, failure) -> null));
        }
        return issued.thenCompose(f -> f);
    }

    /** The times a request's batches note (weir.note-time), filled in as their appends succeed. */
    private static final class TimeNotes {
        /** Set while the request is read: some batch notes a time, so the request takes its turn in order. */
        boolean any;
        final java.util.Queue<WatermarkService.Note> appended = new java.util.concurrent.ConcurrentLinkedQueue<>();
    }

    private static CompletableFuture<Void> refused(PartitionProduceResponse pr, MutableRecordBatch batch, Errors e) {
        fail(pr, e, "Transactional batch of producer " + batch.producerId() + " (epoch " + batch.producerEpoch()
                + ") refused by its transaction: " + e.message());
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> appendChecked(String segment, Append append, boolean transactional,
                                                  MutableRecordBatch batch, TopicConfigs.Effective config, long now,
                                                  PartitionProduceResponse pr) {
        return store.append(segment, append).handle((result, failure) -> {
            if (failure == null && transactional) {
                partitionTransactions.appended(segment, batch.producerId(), result.baseOffset());
            }
            Throwable cause = KafkaErrors.unwrap(failure);
            if (cause instanceof BadOffsetException b) {
                // The batch's condition rides on its first record, so that record is the one named.
                return reject(pr, segment, RejectedRecords.of(0, Errors.INVALID_RECORD, WeirHeaders.EXPECT_OFFSET + " "
                        + b.expectedOffset() + " does not match the partition's end offset " + b.actualOffset()));
            } else if (cause instanceof ConditionFailedException c && c.reason() instanceof RejectedRecords rejected) {
                return reject(pr, segment, rejected);
            } else if (failure != null) {
                fail(pr, KafkaErrors.of(failure), KafkaErrors.message(failure));
            } else {
                // A duplicate is answered with its original offset (and no append time of its own).
                pr.setErrorCode(Errors.NONE.code())
                        .setBaseOffset(result.baseOffset())
                        .setLogAppendTimeMs(config.logAppendTime() && result.appendTimeMs() >= 0 ? now : -1)
                        .setLogStartOffset(result.startOffset());
            }
            return CompletableFuture.<Void>completedFuture(null);
        }).thenCompose(f -> f);
    }

    /**
     * Answers a batch refused for some of its records as Kafka does: the partition's error and message, each
     * refused record by its batch index, and the partition's log start offset (the batch took no offset).
     */
    private CompletableFuture<Void> reject(PartitionProduceResponse pr, String segment, RejectedRecords rejected) {
        return store.getInfo(segment).handle((info, failure) -> {
            fail(pr, rejected.error(), rejected.message());
            pr.setLogStartOffset(failure == null ? info.startOffset() : -1).setRecordErrors(rejected.records().stream()
                    .map(r -> new BatchIndexAndErrorMessage().setBatchIndex(r.batchIndex())
                            .setBatchIndexErrorMessage(r.message()))
                    .toList());
            return null;
        });
    }

    /**
     * A produced batch that passed Kafka's batch-level checks, with what Weir's headers ask of it: the
     * expected offset of its first record, for a compacted topic every record as the keyed map sees it, and the
     * time it notes for the time watermarks (or null); and the records that failed their own checks (or null).
     */
    private record Validated(MutableRecordBatch batch, OptionalLong expectedOffset,
                             List<KeyOffsetCheck.KeyedRecord> keyed, WeirHeaders.TimeNote timeNote,
                             RejectedRecords rejected) {
    }

    /**
     * Kafka's broker-side checks of one produced batch, reading its records once, as Kafka's LogValidator
     * does; Weir's headers are read in the same pass. A failed batch-level check throws; records that fail
     * their own checks are collected, each with the first reason it fails for (Kafka's, then Weir's headers).
     */
    private static Validated validate(MemoryRecords records, TopicConfigs.Effective config, long now,
                                      TopicPartition partition) {
        Iterator<MutableRecordBatch> batches = records.batches().iterator();
        if (!batches.hasNext()) {
            throw new InvalidRecordException("Produce request contains no record batch");
        }
        MutableRecordBatch batch = batches.next();
        if (batch.sizeInBytes() > config.maxMessageBytes()) {
            throw new RecordTooLargeException("The request included a message larger than the max message size "
                    + "the server will accept: " + batch.sizeInBytes() + " > " + config.maxMessageBytes());
        }
        if (!batch.isValid()) {
            throw new CorruptRecordException("Record batch is corrupt (stored crc = " + batch.checksum() + ")");
        }
        Integer count = batch.countOrNull();
        long span = batch.lastOffset() - batch.baseOffset() + 1;
        if (count == null || count <= 0 || count != span) {
            throw new InvalidRecordException("Record count " + count + " does not match the batch's offset span " + span);
        }
        if (batch.isControlBatch()) {
            throw new InvalidRecordException("Clients may not produce control batches");
        }
        if (batch.isTransactional() && (!batch.hasProducerId() || batch.baseSequence() == RecordBatch.NO_SEQUENCE)) {
            throw new InvalidRecordException("A transactional batch needs a producer id and sequence numbers");
        }
        OptionalLong expectedOffset = OptionalLong.empty();
        List<KeyOffsetCheck.KeyedRecord> keyed = config.compacted() ? new ArrayList<>() : null;
        WeirHeaders.TimeNote timeNote = null;
        List<RejectedRecords.Rejected> rejected = new ArrayList<>(0);
        try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            for (int index = 0; it.hasNext(); index++) {
                Record r = it.next();
                RejectedRecords.Rejected kafkaCheck = checkRecord(batch, r, index, config, now, partition);
                if (kafkaCheck != null) {
                    rejected.add(kafkaCheck);
                    continue;
                }
                try {
                    if (index == 0) {
                        expectedOffset = WeirHeaders.expectedOffset(r);
                    }
                    timeNote = WeirHeaders.noteTime(r, timeNote);
                    if (config.compacted()) {
                        keyed.add(WeirHeaders.keyed(r, batch.baseOffset()));
                    }
                } catch (InvalidRecordException e) {
                    rejected.add(new RejectedRecords.Rejected(index, Errors.INVALID_RECORD, e.getMessage()));
                }
            }
        }
        return new Validated(batch, expectedOffset, keyed, timeNote,
                rejected.isEmpty() ? null : new RejectedRecords(rejected));
    }

    /** Kafka's checks of one record (LogValidator's validateKey, then validateTimestamp, in its words), or null. */
    private static RejectedRecords.Rejected checkRecord(MutableRecordBatch batch, Record r, int index,
                                                       TopicConfigs.Effective config, long now, TopicPartition partition) {
        if (config.compacted() && !r.hasKey()) {
            return new RejectedRecords.Rejected(index, Errors.INVALID_RECORD,
                    "Compacted topic cannot accept message without key in topic partition " + partition);
        }
        if (!config.logAppendTime() && r.timestamp() != RecordBatch.NO_TIMESTAMP) {
            long before = config.timestampBeforeMaxMs();
            long after = config.timestampAfterMaxMs();
            long diff = now - r.timestamp();
            if (diff > before || -diff > after) {
                return new RejectedRecords.Rejected(index, Errors.INVALID_TIMESTAMP, "Timestamp " + r.timestamp()
                        + " of message with offset " + r.offset() + " is out of range. The timestamp should be within ["
                        + (now - before) + ", " + (now + after) + "]");
            }
        } else if (batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
            return new RejectedRecords.Rejected(index, Errors.INVALID_TIMESTAMP, "Invalid timestamp type in message " + r
                    + ". Producer should not set timestamp type to LogAppendTime.");
        }
        return null;
    }

    private static void fail(PartitionProduceResponse pr, Errors error, String message) {
        pr.setErrorCode(error.code()).setErrorMessage(message).setBaseOffset(-1).setLogAppendTimeMs(-1)
                .setLogStartOffset(-1);
    }
}
