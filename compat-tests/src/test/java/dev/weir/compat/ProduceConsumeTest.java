package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Records written by kafka-clients 4.4 come back exactly as written. */
class ProduceConsumeTest {
    private static final long BASE_TIMESTAMP = 1_700_000_000_000L;
    private static final int ONE_MIB = 1024 * 1024;

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    static Stream<Arguments> targetsAndCodecs() {
        return Target.selectedWith("none", "gzip", "snappy", "lz4", "zstd");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("targetsAndCodecs")
    void recordsRoundTripWithKeysNullValuesHeadersAndCreateTimeUnderEveryCodec(Target target, String codec) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("codec-" + codec);
        Clients.createTopics(broker, Clients.topic(topic, 1));
        int count = 60;

        List<ProducerRecord<String, String>> sent = IntStream.range(0, count).mapToObj(i -> record(topic, i)).toList();
        List<RecordMetadata> acks = new ArrayList<>();
        // linger lets many records share one batch, so the codec compresses real multi-record batches
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.LINGER_MS_CONFIG, 50))) {
            List<Future<RecordMetadata>> futures = sent.stream().map(producer::send).toList();
            producer.flush();
            futures.forEach(f -> acks.add(Clients.get(f)));
        }
        for (int i = 0; i < count; i++) {
            assertEquals(i, acks.get(i).offset(), "acknowledged offset of record " + i);
            assertEquals(BASE_TIMESTAMP + i * 10L, acks.get(i).timestamp(), "acknowledged timestamp of record " + i);
        }

        List<ConsumerRecord<String, String>> received;
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            received = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
        }
        assertEquals(count, received.size(), "records read back");
        for (int i = 0; i < count; i++) {
            ProducerRecord<String, String> expected = sent.get(i);
            ConsumerRecord<String, String> actual = received.get(i);
            assertEquals(i, actual.offset(), "offset");
            assertEquals(expected.key(), actual.key(), "key at offset " + i);
            assertEquals(expected.value(), actual.value(), "value at offset " + i);
            assertEquals(expected.timestamp(), actual.timestamp(), "timestamp at offset " + i);
            assertEquals(TimestampType.CREATE_TIME, actual.timestampType(), "timestamp type at offset " + i);
            assertEquals(headersText(expected.headers()), headersText(actual.headers()), "headers at offset " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void oneMebibyteRecordsRoundTripWhenTheTopicAllowsThem(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("one-mib");
        Clients.createTopics(broker, Clients.topic(topic, 1, Map.of("max.message.bytes", Integer.toString(2 * ONE_MIB))));

        Random random = new Random(42);
        List<byte[]> values = IntStream.range(0, 3).mapToObj(i -> {
            byte[] value = new byte[ONE_MIB];
            random.nextBytes(value);
            return value;
        }).toList();
        try (KafkaProducer<byte[], byte[]> producer = Clients.bytesProducer(broker, Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * ONE_MIB))) {
            for (int i = 0; i < values.size(); i++) {
                RecordMetadata ack = Clients.get(producer.send(new ProducerRecord<>(topic, 0,
                        ("big-" + i).getBytes(StandardCharsets.UTF_8), values.get(i))));
                assertEquals(i, ack.offset(), "offset of 1 MiB record " + i);
            }
        }

        List<ConsumerRecord<byte[], byte[]>> received;
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.bytesConsumer(broker, Map.of())) {
            received = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
        }
        assertEquals(values.size(), received.size(), "1 MiB records read back");
        for (int i = 0; i < values.size(); i++) {
            assertEquals("big-" + i, new String(received.get(i).key(), StandardCharsets.UTF_8));
            assertArrayEquals(values.get(i), received.get(i).value(), "content of 1 MiB record " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void everyPartitionOfAHundredPartitionTopicAcceptsAndServesRecords(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("hundred");
        int partitions = 100;
        Clients.createTopics(broker, Clients.topic(topic, partitions));

        try (Admin admin = Clients.admin(broker)) {
            TopicDescription description = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
            assertEquals(IntStream.range(0, partitions).boxed().toList(),
                    description.partitions().stream().map(p -> p.partition()).toList(), "described partitions");
        }
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            List<Future<RecordMetadata>> futures = IntStream.range(0, partitions)
                    .mapToObj(p -> producer.send(new ProducerRecord<>(topic, p, "key-" + p, "value-" + p)))
                    .toList();
            producer.flush();
            for (int p = 0; p < partitions; p++) {
                RecordMetadata ack = Clients.get(futures.get(p));
                assertEquals(p, ack.partition(), "acknowledged partition");
                assertEquals(0, ack.offset(), "first offset of partition " + p);
            }
        }

        List<TopicPartition> all = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        List<ConsumerRecord<String, String>> received;
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000))) {
            received = Clients.readToEnd(consumer, all);
        }
        assertEquals(partitions, received.size(), "one record per partition");
        for (ConsumerRecord<String, String> record : received) {
            assertEquals("value-" + record.partition(), record.value(), "value in partition " + record.partition());
            assertEquals("key-" + record.partition(), record.key(), "key in partition " + record.partition());
            assertEquals(0, record.offset());
        }
    }

    /** Every 5th key and every 7th value null; headers with text, empty and null values. */
    private static ProducerRecord<String, String> record(String topic, int i) {
        String key = i % 5 == 0 ? null : "key-" + i;
        String value = i % 7 == 0 ? null : ("value-" + i + " ").repeat(1 + i % 4);
        List<Header> headers = new ArrayList<>();
        headers.add(new RecordHeader("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
        if (i % 3 == 0) {
            headers.add(new RecordHeader("empty", new byte[0]));
            headers.add(new RecordHeader("absent", (byte[]) null));
        }
        headers.add(new RecordHeader("seq", "again".getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(topic, 0, BASE_TIMESTAMP + i * 10L, key, value, headers);
    }

    static String headersText(Iterable<Header> headers) {
        List<String> parts = new ArrayList<>();
        for (Header header : headers) {
            parts.add(header.key() + "=" + (header.value() == null ? "<null>" : Arrays.toString(header.value())));
        }
        return String.join(",", parts);
    }
}
