package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a coordinator answered, a crash may not take back: each answer below is followed at once by
 * a {@code kill -9} of the broker, and after the restart what it told is still so, on Weir as on
 * Kafka. (KIP-848 member epochs across kills: {@link ConsumerGroupTest}; transactions in a running
 * chain across kills: {@link EtlChainTest}; a transaction committed right before a kill, below.)
 */
class CoordinatorKill9Test {

    private static void killAndRestart(Broker broker) {
        broker.kill9();
        broker.restart();
    }

    private static Map<TopicPartition, Long> committed(Broker broker, String group) {
        try (Admin admin = Clients.admin(broker)) {
            return Clients.get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).entrySet()
                    .stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        }
    }

    private static Set<String> groups(Broker broker) {
        try (Admin admin = Clients.admin(broker)) {
            return Clients.get(admin.listGroups().all()).stream().map(GroupListing::groupId).collect(Collectors.toSet());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void everyCoordinatorAnswerSurvivesAKill9RightAfterIt(Target target) {
        try (Broker broker = target.start("coordinator-kill9", Map.of())) {
            String topic = Clients.uniqueTopic("coord-kill9");
            Clients.createTopics(broker, Clients.topic(topic, 2));
            TopicPartition p0 = new TopicPartition(topic, 0);
            TopicPartition p1 = new TopicPartition(topic, 1);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 10; i++) {
                    Clients.get(producer.send(new ProducerRecord<>(topic, i % 2, "k", "v" + i)));
                }
            }

            // A classic member's commitSync, and the membership it committed under.
            String classic = Clients.uniqueTopic("coord-kill9-classic");
            String memberId;
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                    ConsumerConfig.GROUP_ID_CONFIG, classic, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
                consumer.subscribe(List.of(topic));
                Await.until(Clients.TIMEOUT, "the member owns both partitions", () -> {
                    consumer.poll(Duration.ofMillis(50));
                    return consumer.assignment().size() == 2;
                });
                memberId = consumer.groupMetadata().memberId();
                consumer.commitSync(Map.of(p0, new OffsetAndMetadata(4), p1, new OffsetAndMetadata(3)));
                killAndRestart(broker);
                assertEquals(Map.of(p0, 4L, p1, 3L), committed(broker, classic), "the offsets commitSync was told of");
                Await.until(Clients.TIMEOUT, "the member is back at work", () -> {
                    consumer.poll(Duration.ofMillis(50));
                    return consumer.assignment().size() == 2;
                });
                assertEquals(memberId, consumer.groupMetadata().memberId(),
                        "the member id it was given (an unknown member would have been given a new one)");
            }

            // The admin API's offset changes, and the deletion of a group (one without members: Kafka
            // brings a closed member back with the group after a kill -9, until its session expires).
            String admin = Clients.uniqueTopic("coord-kill9-admin");
            try (Admin a = Clients.admin(broker)) {
                Clients.get(a.alterConsumerGroupOffsets(admin, Map.of(p0, new OffsetAndMetadata(7),
                        p1, new OffsetAndMetadata(2))).all());
            }
            killAndRestart(broker);
            assertEquals(Map.of(p0, 7L, p1, 2L), committed(broker, admin), "offsets altered by the admin API");
            try (Admin a = Clients.admin(broker)) {
                Clients.get(a.deleteConsumerGroupOffsets(admin, Set.of(p0)).all());
            }
            killAndRestart(broker);
            assertEquals(Map.of(p1, 2L), committed(broker, admin), "an offset deleted by the admin API stays deleted");
            try (Admin a = Clients.admin(broker)) {
                Clients.get(a.deleteConsumerGroups(List.of(admin)).all());
            }
            killAndRestart(broker);
            assertTrue(!groups(broker).contains(admin), "a deleted group stays deleted");
            assertEquals(Map.of(), committed(broker, admin), "and so do its offsets");
        }
    }

    /**
     * A transaction, with offsets in it, committed right before a {@code kill -9}: its records and
     * offsets are there after the restart. Weir only: a single-node Kafka 4.4 does not keep this
     * promise (it answers EndTxn once the commit is prepared, in its page cache, and relies on
     * replicas, not fsync). Tried here in four runs, twice the records or the offsets of the committed
     * transaction stayed undecided or absent for 60 to 240 s after the restart.
     */
    @org.junit.jupiter.api.Test
    void aTransactionCommittedRightBeforeAKill9StaysCommitted() {
        try (Broker broker = Target.WEIR.start("coordinator-kill9-txn", Map.of())) {
            String topic = Clients.uniqueTopic("coord-kill9-txn");
            Clients.createTopics(broker, Clients.topic(topic, 2));
            TopicPartition p1 = new TopicPartition(topic, 1);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 5; i++) {
                    Clients.get(producer.send(new ProducerRecord<>(topic, 1, "k", "v" + i)));
                }
            }
            String txnGroup = Clients.uniqueTopic("coord-kill9-txn");
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, Clients.uniqueTopic("coord-kill9-txn")))) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(topic, 1, "k", "t" + i));
                }
                producer.sendOffsetsToTransaction(Map.of(p1, new OffsetAndMetadata(9)),
                        new ConsumerGroupMetadata(txnGroup));
                producer.commitTransaction();
            }
            killAndRestart(broker);
            assertEquals(Map.of(p1, 9L), committed(broker, txnGroup), "the offsets of the committed transaction");
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
                consumer.assign(List.of(p1));
                consumer.seek(p1, 5);
                List<String> values = Clients.readUntil(consumer, Map.of(p1, 9L)).stream()
                        .map(ConsumerRecord::value).toList();
                assertEquals(List.of("t0", "t1", "t2"), values, "the records of the committed transaction");
            }
        }
    }
}
