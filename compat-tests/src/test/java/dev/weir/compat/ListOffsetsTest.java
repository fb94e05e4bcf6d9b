package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** ListOffsets answers earliest, latest, by-timestamp and max-timestamp lookups as Kafka does. */
class ListOffsetsTest {
    private static final long BASE = 1_700_000_000_000L;
    /** CreateTime timestamps of offsets 0..9: rising by 1 s, except offset 6, which holds the maximum. */
    private static final long[] TIMESTAMPS = {
        BASE, BASE + 1_000, BASE + 2_000, BASE + 3_000, BASE + 4_000,
        BASE + 5_000, BASE + 60_000, BASE + 7_000, BASE + 8_000, BASE + 9_000};

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void consumerOffsetsForTimesFindsTheFirstRecordAtOrAfterEachTimestamp(Target target) {
        Broker broker = brokers.on(target);
        TopicPartition partition = topicWithTimestampedRecords(broker, "offsets-for-times");

        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            Map<TopicPartition, OffsetAndTimestamp> beforeAll = consumer.offsetsForTimes(Map.of(partition, BASE - 1), Clients.TIMEOUT);
            assertEquals(at(0, BASE), found(beforeAll.get(partition)), "timestamp before every record");

            Map<TopicPartition, OffsetAndTimestamp> exact = consumer.offsetsForTimes(Map.of(partition, BASE + 3_000), Clients.TIMEOUT);
            assertEquals(at(3, BASE + 3_000), found(exact.get(partition)), "timestamp of offset 3 exactly");

            Map<TopicPartition, OffsetAndTimestamp> between = consumer.offsetsForTimes(Map.of(partition, BASE + 2_500), Clients.TIMEOUT);
            assertEquals(at(3, BASE + 3_000), found(between.get(partition)), "timestamp between offsets 2 and 3");

            // offset 6 carries BASE + 60 s, so it is the first record at or after BASE + 9.5 s
            Map<TopicPartition, OffsetAndTimestamp> pastLater = consumer.offsetsForTimes(Map.of(partition, BASE + 9_500), Clients.TIMEOUT);
            assertEquals(at(6, BASE + 60_000), found(pastLater.get(partition)), "timestamp only offset 6 reaches");

            Map<TopicPartition, OffsetAndTimestamp> afterAll = consumer.offsetsForTimes(Map.of(partition, BASE + 120_000), Clients.TIMEOUT);
            assertNull(afterAll.get(partition), "timestamp after every record");

            assertEquals(0L, consumer.beginningOffsets(List.of(partition), Clients.TIMEOUT).get(partition), "beginning offset");
            assertEquals(10L, consumer.endOffsets(List.of(partition), Clients.TIMEOUT).get(partition), "end offset");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void adminListOffsetsAnswersEarliestLatestForTimestampAndMaxTimestamp(Target target) {
        Broker broker = brokers.on(target);
        TopicPartition partition = topicWithTimestampedRecords(broker, "admin-list-offsets");

        try (Admin admin = Clients.admin(broker)) {
            ListOffsetsResultInfo earliest = listOffsets(admin, partition, OffsetSpec.earliest());
            assertEquals(0, earliest.offset(), "earliest offset");

            ListOffsetsResultInfo latest = listOffsets(admin, partition, OffsetSpec.latest());
            assertEquals(10, latest.offset(), "latest offset");

            ListOffsetsResultInfo atTime = listOffsets(admin, partition, OffsetSpec.forTimestamp(BASE + 4_500));
            assertEquals(5, atTime.offset(), "offset for timestamp BASE + 4.5 s");
            assertEquals(BASE + 5_000, atTime.timestamp(), "timestamp of that offset");

            ListOffsetsResultInfo max = listOffsets(admin, partition, OffsetSpec.maxTimestamp());
            assertEquals(6, max.offset(), "offset of the record with the largest timestamp");
            assertEquals(BASE + 60_000, max.timestamp(), "largest timestamp");

            ListOffsetsResultInfo none = listOffsets(admin, partition, OffsetSpec.forTimestamp(BASE + 120_000));
            assertEquals(-1, none.offset(), "offset for a timestamp after every record");
        }
    }

    private static String at(long offset, long timestamp) {
        return offset + "@" + timestamp;
    }

    /** Offset and timestamp only: the leader epoch is the broker's business (Weir may report none). */
    private static String found(OffsetAndTimestamp offsetAndTimestamp) {
        return offsetAndTimestamp == null ? "null" : offsetAndTimestamp.offset() + "@" + offsetAndTimestamp.timestamp();
    }

    private static ListOffsetsResultInfo listOffsets(Admin admin, TopicPartition partition, OffsetSpec spec) {
        return Clients.get(admin.listOffsets(Map.of(partition, spec)).partitionResult(partition));
    }

    /** Ten records at offsets 0..9 with {@link #TIMESTAMPS}, sent in three separate batches. */
    private static TopicPartition topicWithTimestampedRecords(Broker broker, String prefix) {
        String topic = Clients.uniqueTopic(prefix);
        Clients.createTopics(broker, Clients.topic(topic, 1));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < TIMESTAMPS.length; i++) {
                producer.send(new ProducerRecord<>(topic, 0, TIMESTAMPS[i], "k" + i, "v" + i));
                if (i == 3 || i == 6) {
                    producer.flush();
                }
            }
            producer.flush();
        }
        return new TopicPartition(topic, 0);
    }
}
