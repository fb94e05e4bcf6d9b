package dev.weir.compat.oldclient;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Collections;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Produce in a transaction, then consume as a group with read_committed, over a secured listener,
 * on an OLD kafka-clients jar (2.8, 3.9): only APIs 2.8 already had, one class, no nested classes.
 * Prints one tab-separated line per fact.
 *
 * <p>Arguments: bootstrap-servers topic record-count security-properties-file.
 */
public final class OldClientSecureChain {
    private OldClientSecureChain() {
    }

    public static void main(String[] args) throws IOException {
        String bootstrap = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        Properties security = new Properties();
        try (InputStream in = Files.newInputStream(Paths.get(args[3]))) {
            security.load(in);
        }

        Properties producerProps = new Properties();
        producerProps.putAll(security);
        producerProps.put("bootstrap.servers", bootstrap);
        producerProps.put("transactional.id", topic + "-txn");
        producerProps.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        producerProps.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);
        try {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            producer.commitTransaction();
            System.out.println("committed\t" + count);
        } finally {
            producer.close();
        }

        Properties consumerProps = new Properties();
        consumerProps.putAll(security);
        consumerProps.put("bootstrap.servers", bootstrap);
        consumerProps.put("group.id", topic + "-group");
        consumerProps.put("isolation.level", "read_committed");
        consumerProps.put("enable.auto.commit", "false");
        consumerProps.put("auto.offset.reset", "earliest");
        consumerProps.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        consumerProps.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps);
        try {
            consumer.subscribe(Collections.singletonList(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            int read = 0;
            while (read < count) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("read " + read + " of " + count + " records in 60 s");
                }
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, String> r : records) {
                    if (!r.value().equals("v" + r.key().substring(1))) {
                        throw new IllegalStateException("unexpected record " + r);
                    }
                    read++;
                }
            }
            consumer.commitSync();
            System.out.println("consumed\t" + read);
        } finally {
            consumer.close();
        }
    }
}
