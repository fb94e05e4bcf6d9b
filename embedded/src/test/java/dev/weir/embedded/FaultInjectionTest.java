package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/**
 * Real kafka-clients against injected faults, each reacting as it does to the same error or broken
 * connection from Apache Kafka (the client code paths are the same: they see only the wire).
 */
class FaultInjectionTest {
    @WeirBroker
    EmbeddedWeir weir;

    /** (a) Kafka's client treats NOT_LEADER_OR_FOLLOWER as invalid metadata: it asks for a refresh and retries. */
    @Test
    void produceAnsweredNotLeaderOnceRefreshesMetadataAndIsRetried() throws Exception {
        weir.createTopic("a", 1);
        FaultRule rule = weir.faults().on(ApiKeys.PRODUCE).topic("a").once().respond(Errors.NOT_LEADER_OR_FOLLOWER);
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.CLIENT_ID_CONFIG, "p-a"))) {
            RecordMetadata md = producer.send(new ProducerRecord<>("a", "k", "v")).get(30, TimeUnit.SECONDS);
            assertEquals(0, md.offset());
        }
        assertEquals(1, rule.hits());
        assertFalse(rule.active());
        List<RecordedRequest> seen = weir.faults().requests(r -> "p-a".equals(r.clientId()));
        List<Integer> produces = new ArrayList<>();
        for (int i = 0; i < seen.size(); i++) {
            if (seen.get(i).apiKey() == ApiKeys.PRODUCE) {
                produces.add(i);
            }
        }
        assertEquals(2, produces.size(), "one answered with the error, one retry: " + seen);
        assertEquals(FaultRule.Action.ERROR, seen.get(produces.get(0)).fault());
        assertNull(seen.get(produces.get(1)).fault());
        // The refresh is asked for at once, but waits out the metadata backoff since the producer's
        // first Metadata request, so it may go out before or after the retry (the leader is unchanged).
        assertTrue(seen.subList(produces.get(0), seen.size()).stream().anyMatch(r -> r.apiKey() == ApiKeys.METADATA),
                "a Metadata refresh after the failed produce: " + seen);
        assertEquals(List.of("v"), Clients.readAll(weir, "a", 1, 1), "stored once");
    }

    /** Only the partition the rule names fails; the same request's other partition is appended. */
    @Test
    void partitionLevelErrorFailsOnlyThatPartition() throws Exception {
        weir.createTopic("two", 2);
        FaultRule rule = weir.faults().on(ApiKeys.PRODUCE).partition("two", 1).once().respond(Errors.NOT_LEADER_OR_FOLLOWER);
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.LINGER_MS_CONFIG, 200))) {
            producer.partitionsFor("two");
            Future<RecordMetadata> p0 = producer.send(new ProducerRecord<>("two", 0, "k", "zero"));
            Future<RecordMetadata> p1 = producer.send(new ProducerRecord<>("two", 1, "k", "one"));
            assertEquals(0, p0.get(30, TimeUnit.SECONDS).offset());
            assertEquals(0, p1.get(30, TimeUnit.SECONDS).offset());
        }
        assertEquals(1, rule.hits());
        RecordedRequest first = weir.faults().requests(ApiKeys.PRODUCE).get(0);
        assertEquals(List.of(new TopicPartition("two", 0), new TopicPartition("two", 1)), first.partitions(),
                "both partitions went in one request");
        assertEquals(Set.of("zero", "one"), Set.copyOf(Clients.readAll(weir, "two", 2, 2)));
        assertEquals(2, Clients.readAll(weir, "two", 2, 2).size());
    }

    /** (b) An answer lost after the append: the idempotent producer's retry is deduplicated. */
    @Test
    void produceDroppedAfterApplyIsDeduplicatedForAnIdempotentProducer() throws Exception {
        weir.createTopic("b", 1);
        FaultRule rule = weir.faults().on(ApiKeys.PRODUCE).topic("b").once().dropAfterApply();
        List<String> sent = new ArrayList<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
            for (int i = 0; i < 20; i++) {
                sent.add("b" + i);
                acks.add(producer.send(new ProducerRecord<>("b", "b" + i)));
            }
            producer.flush();
            for (Future<RecordMetadata> f : acks) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        assertEquals(1, rule.hits());
        assertTrue(weir.faults().requests(ApiKeys.PRODUCE).size() >= 2, "the dropped produce was sent again");
        assertEquals(sent, Clients.readAll(weir, "b", 1, sent.size()), "each record exactly once, in order");
    }

    /** A request dropped before it is applied is simply sent again. */
    @Test
    void produceDroppedBeforeApplyIsStoredOnce() throws Exception {
        weir.createTopic("before", 1);
        FaultRule rule = weir.faults().on(ApiKeys.PRODUCE).once().dropBeforeApply();
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            producer.send(new ProducerRecord<>("before", "only")).get(30, TimeUnit.SECONDS);
        }
        assertEquals(1, rule.hits());
        assertEquals(List.of("only"), Clients.readAll(weir, "before", 1, 1));
    }

    /** (c) Slow fetches: the consumer waits them out. */
    @Test
    void delayedFetchesStillDeliverEveryRecord() throws Exception {
        weir.createTopic("c", 1);
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of())) {
            for (int i = 0; i < 10; i++) {
                sent.add("c" + i);
                producer.send(new ProducerRecord<>("c", "c" + i));
            }
            producer.flush();
        }
        FaultRule rule = weir.faults().on(ApiKeys.FETCH).topic("c").delay(Duration.ofMillis(300));
        long started = System.nanoTime();
        assertEquals(sent, Clients.readAll(weir, "c", 1, sent.size()));
        assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(300), "the delay was applied");
        int hits = rule.hits();
        assertTrue(hits >= 1, "every fetch of the topic was delayed until removed: " + hits);
        assertTrue(rule.active());
        rule.remove();
        assertFalse(rule.active());
        assertEquals(weir.faults().requests(ApiKeys.FETCH).stream().filter(r -> r.fault() == FaultRule.Action.DELAY).count(), hits);
    }

    /** (d) Coordinator errors on each step of a classic group: the consumer finds the coordinator again and carries on. */
    @Test
    void groupConsumerRecoversFromCoordinatorErrors() throws Exception {
        weir.createTopic("d", 1);
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of())) {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>("d", "d" + i));
            }
            producer.flush();
        }
        FaultRule find = weir.faults().on(ApiKeys.FIND_COORDINATOR).once().respond(Errors.COORDINATOR_NOT_AVAILABLE);
        FaultRule join = weir.faults().on(ApiKeys.JOIN_GROUP).once().respond(Errors.NOT_COORDINATOR);
        FaultRule commit = weir.faults().on(ApiKeys.OFFSET_COMMIT).once().respond(Errors.COORDINATOR_NOT_AVAILABLE);
        int read = 0;
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "g-d"))) {
            consumer.subscribe(List.of("d"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (read < 5 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                }
            }
            consumer.commitSync(Duration.ofSeconds(30));
        }
        assertEquals(5, read);
        assertEquals(1, find.hits());
        assertEquals(1, join.hits());
        assertEquals(1, commit.hits());
        assertTrue(weir.faults().requests(ApiKeys.FIND_COORDINATOR).size() >= 3,
                "rediscovered after each coordinator error: " + weir.faults().requests(ApiKeys.FIND_COORDINATOR));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, weir.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets("g-d").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertEquals(5, committed.get(new TopicPartition("d", 0)).offset());
        }
    }

    /**
     * (e) A non-retriable error reaches the callback as its exception. Kafka's broker answers a
     * produce its ACLs deny with this same partition-level error; kafka-clients' Sender turns it
     * into a TopicAuthorizationException naming the batch's topic, whichever broker sent it.
     */
    @Test
    void topicAuthorizationFailedSurfacesAsTopicAuthorizationException() throws Exception {
        weir.createTopic("e", 1);
        FaultRule rule = weir.faults().on(ApiKeys.PRODUCE).topic("e").once().respond(Errors.TOPIC_AUTHORIZATION_FAILED);
        CompletableFuture<Exception> callback = new CompletableFuture<>();
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            Future<RecordMetadata> result = producer.send(new ProducerRecord<>("e", "denied"), (md, e) -> callback.complete(e));
            ExecutionException failure = assertThrows(ExecutionException.class, () -> result.get(30, TimeUnit.SECONDS));
            TopicAuthorizationException denied = assertInstanceOf(TopicAuthorizationException.class, failure.getCause());
            assertEquals(Set.of("e"), denied.unauthorizedTopics());
            assertInstanceOf(TopicAuthorizationException.class, callback.get(30, TimeUnit.SECONDS));
        }
        assertEquals(1, rule.hits());
        assertEquals(1, weir.faults().requests(ApiKeys.PRODUCE).size(), "not retried");
        assertEquals(List.of(), Clients.readAll(weir, "e", 1, 0), "not appended");
    }

    /** (f) The request log shows what the client sent. */
    @Test
    void requestLogRecordsWhatWasSent() throws Exception {
        weir.createTopic("f", 1);
        weir.faults().clearRequests();
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.CLIENT_ID_CONFIG, "log-producer"))) {
            producer.send(new ProducerRecord<>("f", 0, "k", "v")).get(30, TimeUnit.SECONDS);
        }
        List<RecordedRequest> seen = weir.faults().requests(r -> "log-producer".equals(r.clientId()));
        List<ApiKeys> keys = seen.stream().map(RecordedRequest::apiKey).toList();
        assertTrue(keys.containsAll(List.of(ApiKeys.API_VERSIONS, ApiKeys.METADATA, ApiKeys.INIT_PRODUCER_ID, ApiKeys.PRODUCE)),
                keys.toString());
        RecordedRequest produce = seen.stream().filter(r -> r.apiKey() == ApiKeys.PRODUCE).findFirst().orElseThrow();
        assertEquals(List.of("f"), produce.topics());
        assertEquals(List.of(new TopicPartition("f", 0)), produce.partitions());
        assertTrue(produce.version() >= 3, "version " + produce.version());
        assertNull(produce.fault());
        Map<String, Integer> lastCorrelation = new HashMap<>();
        for (RecordedRequest r : seen) {
            Integer before = lastCorrelation.put(r.connectionId(), r.correlationId());
            assertTrue(before == null || before < r.correlationId(), "correlation ids rise per connection: " + seen);
        }
        assertTrue(seen.stream().filter(r -> r.apiKey() == ApiKeys.METADATA).anyMatch(r -> r.topics().contains("f")));
    }

    /** pass() lets the first request through; the next rule then acts on the second. */
    @Test
    void passOnceThenFaultTheNext() throws Exception {
        weir.createTopic("g", 1);
        FaultRule pass = weir.faults().on(ApiKeys.PRODUCE).topic("g").once().pass();
        FaultRule fail = weir.faults().on(ApiKeys.PRODUCE).topic("g").once().respond(Errors.TOPIC_AUTHORIZATION_FAILED);
        try (KafkaProducer<String, String> producer = Clients.producer(weir, Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            producer.send(new ProducerRecord<>("g", "first")).get(30, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("g", "second")).get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, e.getCause());
            producer.send(new ProducerRecord<>("g", "third")).get(30, TimeUnit.SECONDS);
        }
        assertEquals(1, pass.hits());
        assertEquals(1, fail.hits());
        assertEquals(List.of("first", "third"), Clients.readAll(weir, "g", 1, 2));
    }
}
