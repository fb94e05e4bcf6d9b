package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Topics are created, described, grown, deleted and recreated as with Kafka. */
class TopicAdminTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aCreatedTopicIsListedAndDescribedWithItsIdPartitionsAndLeader(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("create");
        try (Admin admin = Clients.admin(broker)) {
            CreateTopicsResult created = admin.createTopics(List.of(Clients.topic(topic, 3)));
            Uuid id = Clients.get(created.topicId(topic));
            assertEquals(3, Clients.get(created.numPartitions(topic)), "partitions reported by CreateTopics");
            assertEquals(1, Clients.get(created.replicationFactor(topic)), "replication factor reported by CreateTopics");
            assertNotEquals(Uuid.ZERO_UUID, id, "a real topic id");

            assertTrue(Clients.get(admin.listTopics().names()).contains(topic), "listed");
            int node = Clients.get(admin.describeCluster().nodes()).iterator().next().id();
            TopicDescription description = describeWhenLed(admin, topic);
            assertEquals(id, description.topicId(), "described topic id");
            assertFalse(description.isInternal(), "not internal");
            assertEquals(3, description.partitions().size(), "described partitions");
            for (TopicPartitionInfo partition : description.partitions()) {
                assertEquals(node, partition.leader().id(), "leader of partition " + partition.partition());
                assertEquals(1, partition.replicas().size(), "replicas of partition " + partition.partition());
                assertEquals(1, partition.isr().size(), "in-sync replicas of partition " + partition.partition());
            }
            TopicDescription byId = Clients.get(admin.describeTopics(TopicCollection.ofTopicIds(List.of(id))).allTopicIds()).get(id);
            assertEquals(topic, byId.name(), "topic described by id");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void creatingAnExistingTopicFailsWithTopicExists(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("exists");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (Admin admin = Clients.admin(broker)) {
            assertThrows(TopicExistsException.class, () -> Clients.get(admin.createTopics(List.of(Clients.topic(topic, 2))).all()));
            assertEquals(1, describeWhenLed(admin, topic).partitions().size(), "the existing topic is unchanged");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aDeletedTopicCanBeRecreatedWithANewIdAndNoneOfItsOldRecords(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("recreate");
        TopicPartition partition = new TopicPartition(topic, 0);
        try (Admin admin = Clients.admin(broker)) {
            Uuid firstId = Clients.get(admin.createTopics(List.of(Clients.topic(topic, 1))).topicId(topic));
            describeWhenLed(admin, topic);
            produce(broker, topic, "old-1", "old-2", "old-3");

            Clients.get(admin.deleteTopics(List.of(topic)).all());
            Await.until(Clients.TIMEOUT, topic + " is gone from the topic list",
                    () -> !Clients.get(admin.listTopics().names()).contains(topic));
            assertThrows(UnknownTopicOrPartitionException.class,
                    () -> Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()), "describe after delete");

            // Kafka may still be finishing the deletion for a moment; TopicExists is the only acceptable failure.
            Uuid secondId = Await.value(Clients.TIMEOUT, topic + " can be created again", () -> {
                try {
                    return Optional.of(Clients.get(admin.createTopics(List.of(Clients.topic(topic, 1))).topicId(topic)));
                } catch (TopicExistsException stillDeleting) {
                    return Optional.empty();
                }
            });
            assertNotEquals(firstId, secondId, "the recreated topic has a new id");
            describeWhenLed(admin, topic);
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            assertEquals(0L, consumer.endOffsets(List.of(partition), Clients.TIMEOUT).get(partition), "no old records");
        }
        RecordMetadata first = produce(broker, topic, "new-1").get(0);
        assertEquals(0, first.offset(), "the recreated topic starts again at offset 0");
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            assertEquals(List.of("new-1"), Clients.readToEnd(consumer, List.of(partition)).stream().map(r -> r.value()).toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void aTopicCanBeDeletedByItsId(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("delete-by-id");
        try (Admin admin = Clients.admin(broker)) {
            Uuid id = Clients.get(admin.createTopics(List.of(Clients.topic(topic, 2))).topicId(topic));
            describeWhenLed(admin, topic);
            Clients.get(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all());
            Await.until(Clients.TIMEOUT, topic + " is gone from the topic list",
                    () -> !Clients.get(admin.listTopics().names()).contains(topic));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void validateOnlyCreateReportsTheOutcomeButCreatesNothing(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("validate-only");
        try (Admin admin = Clients.admin(broker)) {
            CreateTopicsOptions validateOnly = new CreateTopicsOptions().validateOnly(true);
            CreateTopicsResult result = admin.createTopics(
                    List.of(Clients.topic(topic, 4, Map.of("retention.ms", "3600000"))), validateOnly);
            Clients.get(result.all());
            assertEquals(4, Clients.get(result.numPartitions(topic)), "partitions the topic would have");
            assertFalse(Clients.get(admin.listTopics().names()).contains(topic), "nothing created");

            assertThrows(InvalidReplicationFactorException.class, () -> Clients.get(admin.createTopics(
                    List.of(new NewTopic(topic, 1, (short) 3)), validateOnly).all()), "validation still checks the replication factor");
            assertFalse(Clients.get(admin.listTopics().names()).contains(topic), "still nothing created");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void replicationFactorAboveOneIsRejectedOnASingleNode(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("rf3");
        try (Admin admin = Clients.admin(broker)) {
            assertThrows(InvalidReplicationFactorException.class,
                    () -> Clients.get(admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all()));
            assertFalse(Clients.get(admin.listTopics().names()).contains(topic), "nothing created");

            // -1 means "the broker default", which a single node can satisfy
            String byDefault = Clients.uniqueTopic("rf-default");
            Clients.get(admin.createTopics(List.of(new NewTopic(byDefault, Optional.of(2), Optional.empty()))).all());
            assertEquals(1, describeWhenLed(admin, byDefault).partitions().get(0).replicas().size(), "default replication factor");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void createPartitionsAddsPartitionsThatAcceptRecordsAndNeverRemovesAny(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("grow");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        try (Admin admin = Clients.admin(broker)) {
            Clients.get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all());
            Await.until(Clients.TIMEOUT, topic + " has 5 led partitions", () -> {
                TopicDescription d = describeWhenLed(admin, topic);
                return d.partitions().size() == 5;
            });
            assertThrows(InvalidPartitionsException.class,
                    () -> Clients.get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all()), "shrinking");
            assertThrows(InvalidPartitionsException.class,
                    () -> Clients.get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all()), "same count");
            assertEquals(5, describeWhenLed(admin, topic).partitions().size(), "still 5 partitions");
        }
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            RecordMetadata ack = Clients.get(producer.send(new ProducerRecord<>(topic, 4, "k", "in-new-partition")));
            assertEquals(4, ack.partition());
            assertEquals(0, ack.offset(), "a new partition starts at offset 0");
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            assertEquals(List.of("in-new-partition"), Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 4)))
                    .stream().map(r -> r.value()).toList());
        }
    }

    /** Describes a topic once every partition has a leader (Kafka elects them just after creation). */
    static TopicDescription describeWhenLed(Admin admin, String topic) {
        return Await.value(Clients.TIMEOUT, topic + " has a leader for every partition", () -> {
            TopicDescription d = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
            boolean led = d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            return led ? Optional.of(d) : Optional.empty();
        });
    }

    private static List<RecordMetadata> produce(Broker broker, String topic, String... values) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            List<Future<RecordMetadata>> futures = Arrays.stream(values)
                    .map(v -> producer.send(new ProducerRecord<>(topic, 0, null, v))).toList();
            producer.flush();
            return futures.stream().map(Clients::get).toList();
        }
    }
}
