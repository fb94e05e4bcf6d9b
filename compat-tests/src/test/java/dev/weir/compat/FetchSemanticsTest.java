package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fetch at the wire level, the same on Weir and Kafka: a fetch inside a batch returns that whole
 * batch even when it exceeds the partition limit; incremental fetch sessions (KIP-227) carry only
 * what changed and police their epochs; an empty fetch waits for max_wait_ms.
 */
class FetchSemanticsTest {
    private static final short VERSION = 12; // topic names, sessions

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    private static FetchRequest.PartitionData at(long offset, int maxBytes) {
        return new FetchRequest.PartitionData(Uuid.ZERO_UUID, offset, -1, maxBytes, Optional.empty());
    }

    private static FetchResponse fetch(RawKafkaConnection c, FetchMetadata md, int maxWait, int minBytes,
                                       Map<TopicPartition, FetchRequest.PartitionData> partitions) {
        return c.exchange(FetchRequest.Builder.forConsumer(VERSION, maxWait, minBytes, partitions)
                .metadata(md).build(VERSION));
    }

    private static Map<TopicPartition, FetchResponseData.PartitionData> partitions(FetchResponse r) {
        return r.responseData(Map.of(), VERSION);
    }

    private static List<Long> batchBaseOffsets(FetchResponseData.PartitionData p) {
        List<Long> bases = new ArrayList<>();
        for (RecordBatch b : FetchResponse.recordsOrFail(p).batches()) {
            bases.add(b.baseOffset());
        }
        return bases;
    }

    private static void produceBatches(Broker broker, String topic, int partition, int batches, int perBatch) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.LINGER_MS_CONFIG, 60_000, ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20))) {
            for (int b = 0; b < batches; b++) {
                for (int i = 0; i < perBatch; i++) {
                    producer.send(new ProducerRecord<>(topic, partition, "k", "batch" + b + "-" + i));
                }
                producer.flush(); // one batch per flush
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aFetchInsideABatchReturnsThatWholeBatchEvenPastThePartitionLimit(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("fetch-inside");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        produceBatches(broker, topic, 0, 3, 5);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (RawKafkaConnection c = RawKafkaConnection.open(broker)) {
            FetchResponse r = fetch(c, FetchMetadata.LEGACY, 0, 0, Map.of(tp, at(7, 1)));
            FetchResponseData.PartitionData p = partitions(r).get(tp);
            assertEquals(Errors.NONE.code(), p.errorCode());
            assertEquals(15, p.highWatermark());
            assertEquals(List.of(5L), batchBaseOffsets(p), "only the batch holding offset 7, whole");

            p = partitions(fetch(c, FetchMetadata.LEGACY, 0, 0, Map.of(tp, at(0, 1 << 20)))).get(tp);
            assertEquals(List.of(0L, 5L, 10L), batchBaseOffsets(p), "all batches fit the limit");

            p = partitions(fetch(c, FetchMetadata.LEGACY, 0, 0, Map.of(tp, at(16, 1 << 20)))).get(tp);
            assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(), p.errorCode(), "past the end");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anIncrementalSessionSendsOnlyWhatChangedAndRefusesStaleEpochs(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("fetch-session");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        produceBatches(broker, topic, 0, 1, 3);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (RawKafkaConnection c = RawKafkaConnection.open(broker)) {
            Map<TopicPartition, FetchRequest.PartitionData> both = new LinkedHashMap<>();
            both.put(p0, at(3, 1 << 20));
            both.put(p1, at(0, 1 << 20));
            FetchResponse full = fetch(c, FetchMetadata.INITIAL, 0, 0, both);
            assertEquals(Errors.NONE, full.error());
            int session = full.sessionId();
            assertNotEquals(FetchMetadata.INVALID_SESSION_ID, session, "a full fetch at epoch 0 opens a session");
            assertEquals(both.keySet(), partitions(full).keySet(), "a full response carries every partition");

            FetchResponse nothingNew = fetch(c, new FetchMetadata(session, 1), 0, 0, Map.of());
            assertEquals(Errors.NONE, nothingNew.error());
            assertEquals(session, nothingNew.sessionId());
            assertTrue(partitions(nothingNew).isEmpty(), "unchanged partitions are left out: " + partitions(nothingNew).keySet());

            produceBatches(broker, topic, 1, 1, 2);
            FetchResponse changed = fetch(c, new FetchMetadata(session, 2), 0, 0, Map.of());
            assertEquals(List.of(p1), List.copyOf(partitions(changed).keySet()), "only the partition with new data");
            assertEquals(List.of(0L), batchBaseOffsets(partitions(changed).get(p1)));

            FetchResponse stale = fetch(c, new FetchMetadata(session, 2), 0, 0, Map.of());
            assertEquals(Errors.INVALID_FETCH_SESSION_EPOCH, stale.error());

            FetchResponse unknown = fetch(c, new FetchMetadata(session == Integer.MAX_VALUE ? 1 : session + 1, 1), 0, 0, Map.of());
            assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND, unknown.error());
        }
    }

    /**
     * A session belongs to the way it named topics: a consumer that has just re-bootstrapped fetches
     * by name (v12) until its metadata has topic ids again, then goes on by id (v13). Kafka refuses
     * that incremental fetch with FETCH_SESSION_TOPIC_ID_ERROR, and the client opens a new session.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aSessionOpenedByTopicNamesCannotGoOnByTopicIdsNorTheOtherWayRound(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("fetch-session-ids");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        produceBatches(broker, topic, 0, 1, 3);
        Uuid topicId;
        try (org.apache.kafka.clients.admin.Admin admin = Clients.admin(broker)) {
            topicId = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).topicId();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        short byIds = 13;
        try (RawKafkaConnection c = RawKafkaConnection.open(broker)) {
            FetchResponse byName = fetch(c, FetchMetadata.INITIAL, 0, 0, Map.of(tp, at(0, 1 << 20)));
            assertEquals(Errors.NONE, byName.error());
            FetchResponse mixed = c.exchange(FetchRequest.Builder.forConsumer(byIds, 0, 0, Map.of())
                    .metadata(new FetchMetadata(byName.sessionId(), 1)).build(byIds));
            assertEquals(Errors.FETCH_SESSION_TOPIC_ID_ERROR, mixed.error(), "a v13 fetch in a v12 session");

            FetchResponse byId = c.exchange(FetchRequest.Builder.forConsumer(byIds, 0, 0, Map.of(tp,
                            new FetchRequest.PartitionData(topicId, 0, -1, 1 << 20, Optional.empty())))
                    .metadata(FetchMetadata.INITIAL).build(byIds));
            assertEquals(Errors.NONE, byId.error());
            assertEquals(1, byId.responseData(Map.of(topicId, topic), byIds).size(), "the partition, by id");
            FetchResponse back = fetch(c, new FetchMetadata(byId.sessionId(), 1), 0, 0, Map.of());
            assertEquals(Errors.FETCH_SESSION_TOPIC_ID_ERROR, back.error(), "a v12 fetch in a v13 session");

            FetchResponse renewed = c.exchange(FetchRequest.Builder.forConsumer(byIds, 0, 0, Map.of(tp,
                            new FetchRequest.PartitionData(topicId, 3, -1, 1 << 20, Optional.empty())))
                    .metadata(new FetchMetadata(byId.sessionId(), FetchMetadata.INITIAL_EPOCH)).build(byIds));
            assertEquals(Errors.NONE, renewed.error(), "a full fetch naming the old session opens a new one");
            FetchResponse goesOn = c.exchange(FetchRequest.Builder.forConsumer(byIds, 0, 0, Map.of())
                    .metadata(new FetchMetadata(renewed.sessionId(), 1)).build(byIds));
            assertEquals(Errors.NONE, goesOn.error(), "and it goes on by id");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aFetchWithNothingToReturnWaitsForMaxWait(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("fetch-wait");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        TopicPartition tp = new TopicPartition(topic, 0);
        try (RawKafkaConnection c = RawKafkaConnection.open(broker)) {
            // Kafka's broker can name a leader a moment before it serves the new partition
            // (NOT_LEADER_OR_FOLLOWER, which clients retry): wait for that, without waiting in the fetch.
            Await.until(Clients.TIMEOUT, "the new partition is served", () -> partitions(fetch(c, FetchMetadata.LEGACY, 0, 0,
                    Map.of(tp, at(0, 1 << 20)))).get(tp).errorCode() == Errors.NONE.code());
            long started = System.nanoTime();
            FetchResponse r = fetch(c, FetchMetadata.LEGACY, 400, 1, Map.of(tp, at(0, 1 << 20)));
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(Errors.NONE.code(), partitions(r).get(tp).errorCode());
            assertTrue(batchBaseOffsets(partitions(r).get(tp)).isEmpty());
            assertTrue(elapsedMs >= 350, "the broker parked the fetch for max_wait_ms, took " + elapsedMs + " ms");
        }
    }
}
