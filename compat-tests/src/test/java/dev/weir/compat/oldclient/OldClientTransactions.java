package dev.weir.compat.oldclient;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A transactional producer and a read_committed consumer run in a child JVM against an OLD
 * kafka-clients jar (2.8, 3.9: the transactions protocol before KIP-890): three transactions
 * (committed, aborted, committed), then what a read_committed consumer reads. Same constraints as
 * {@link OldClientRoundTrip}: 2.8 APIs only, one class, no nested classes.
 *
 * <p>Arguments: bootstrap-servers topic transactional-id.
 */
public final class OldClientTransactions {
    private OldClientTransactions() {
    }

    public static void main(String[] args) {
        String topic = args[1];
        Properties producerProps = new Properties();
        producerProps.put("bootstrap.servers", args[0]);
        producerProps.put("transactional.id", args[2]);
        producerProps.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        producerProps.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);
        try {
            producer.initTransactions();
            String[] outcomes = {"commit", "abort", "commit"};
            for (int t = 0; t < outcomes.length; t++) {
                producer.beginTransaction();
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, "k", outcomes[t] + "-" + t + "-" + i));
                }
                producer.flush();
                if (outcomes[t].equals("commit")) {
                    producer.commitTransaction();
                } else {
                    producer.abortTransaction();
                }
                System.out.println("transaction\t" + t + "\t" + outcomes[t]);
            }
        } finally {
            producer.close();
        }

        Properties consumerProps = new Properties();
        consumerProps.put("bootstrap.servers", args[0]);
        consumerProps.put("isolation.level", "read_committed");
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
            while (consumer.position(partition) < end.get(partition)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("did not reach end offset " + end.get(partition) + " in 60 s");
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    System.out.println("record\t" + r.offset() + "\t" + r.value());
                }
            }
            System.out.println("end\t" + end.get(partition));
        } finally {
            consumer.close();
        }
    }
}
