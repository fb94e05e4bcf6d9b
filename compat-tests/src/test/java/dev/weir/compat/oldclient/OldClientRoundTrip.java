package dev.weir.compat.oldclient;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * A produce-then-consume program run in a child JVM against an OLD kafka-clients jar (2.8, 3.9).
 * Compiled with the tests against 4.x, so it may use only APIs that already existed in 2.8 with the
 * same signatures, and it must stay one class without nested classes (OldClientRunner copies exactly
 * this class file). It prints one tab-separated line per fact; the test compares them.
 *
 * <p>Arguments: bootstrap-servers topic record-count compression-type.
 */
public final class OldClientRoundTrip {
    public static final long BASE_TIMESTAMP = 1_600_000_000_000L;

    private OldClientRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        String compression = args[3];
        String version = clientVersion();
        System.out.println("client-version\t" + version);

        Properties producerProps = new Properties();
        producerProps.put("bootstrap.servers", bootstrap);
        producerProps.put("acks", "all");
        producerProps.put("compression.type", compression);
        producerProps.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        producerProps.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);
        try {
            for (int i = 0; i < count; i++) {
                List<Header> headers = new ArrayList<>();
                headers.add(new RecordHeader("client-version", version.getBytes(StandardCharsets.UTF_8)));
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, BASE_TIMESTAMP + i,
                        "old-" + i, "from-" + version + "-" + i, headers);
                RecordMetadata metadata = producer.send(record).get();
                System.out.println("produced\t" + metadata.partition() + "\t" + metadata.offset() + "\t" + metadata.timestamp());
            }
        } finally {
            producer.close();
        }

        Properties consumerProps = new Properties();
        consumerProps.put("bootstrap.servers", bootstrap);
        consumerProps.put("enable.auto.commit", "false");
        consumerProps.put("auto.offset.reset", "earliest");
        consumerProps.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        consumerProps.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps);
        try {
            TopicPartition partition = new TopicPartition(topic, 0);
            List<TopicPartition> partitions = Collections.singletonList(partition);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 60_000;
            int read = 0;
            while (consumer.position(partition) < end.get(partition)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("did not reach end offset " + end.get(partition) + " in 60 s");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    System.out.println("record\t" + record.offset() + "\t" + record.timestamp() + "\t"
                            + record.timestampType() + "\t" + record.key() + "\t" + record.value() + "\t"
                            + headersText(record.headers()));
                    read++;
                }
            }
            System.out.println("done\t" + read);
        } finally {
            consumer.close();
        }
    }

    /** The version of the kafka-clients jar this JVM loaded (AppInfoParser moved between versions; this file did not). */
    private static String clientVersion() throws IOException {
        Properties props = new Properties();
        try (InputStream in = KafkaProducer.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
            if (in == null) {
                throw new IllegalStateException("kafka/kafka-version.properties not on the class path");
            }
            props.load(in);
        }
        return props.getProperty("version");
    }

    /** Headers as name=value pairs joined by commas, the same form the test builds from 4.x records. */
    public static String headersText(Iterable<Header> headers) {
        StringBuilder text = new StringBuilder();
        for (Header header : headers) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(header.key()).append('=')
                    .append(header.value() == null ? "null" : new String(header.value(), StandardCharsets.UTF_8));
        }
        return text.toString();
    }
}
