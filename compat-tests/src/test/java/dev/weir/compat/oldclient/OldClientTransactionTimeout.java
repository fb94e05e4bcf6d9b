package dev.weir.compat.oldclient;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A transaction left open past its transaction.timeout.ms, from an OLD kafka-clients jar
 * (transactions V1): the coordinator aborts it, then the producer's commit and abort are tried and
 * what they throw is printed; a new producer of the same transactional id commits; a
 * read_committed consumer prints what it reads. Same constraints as {@link OldClientRoundTrip}:
 * 2.8 APIs only, one class, no nested classes, no lambdas.
 *
 * <p>Arguments: bootstrap-servers topic transactional-id.
 */
public final class OldClientTransactionTimeout {
    private OldClientTransactionTimeout() {
    }

    public static void main(String[] args) throws Exception {
        String topic = args[1];
        TopicPartition partition = new TopicPartition(topic, 0);
        List<TopicPartition> partitions = Collections.singletonList(partition);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(args[0]));
        try {
            consumer.assign(partitions);
            KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(args[0], args[2]));
            try {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, 0, "k", "abandoned")).get();
                // The abort's marker moves the end offset past the abandoned record (offset 0, marker 1).
                long deadline = System.currentTimeMillis() + 60_000;
                while (consumer.endOffsets(partitions).get(partition) < 2) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("the timed-out transaction was not aborted in 60 s");
                    }
                    consumer.poll(Duration.ofMillis(100));
                }
                System.out.println("aborted by the coordinator");
                try {
                    producer.commitTransaction();
                    System.out.println("commit\tok");
                } catch (RuntimeException e) {
                    System.out.println("commit\t" + describe(e));
                }
                try {
                    producer.abortTransaction();
                    System.out.println("abort\tok");
                } catch (RuntimeException e) {
                    System.out.println("abort\t" + describe(e));
                }
            } finally {
                producer.close();
            }
            KafkaProducer<String, String> next = new KafkaProducer<>(producerProps(args[0], args[2]));
            try {
                next.initTransactions();
                next.beginTransaction();
                next.send(new ProducerRecord<>(topic, 0, "k", "next")).get();
                next.commitTransaction();
                System.out.println("next\tcommitted");
            } finally {
                next.close();
            }
            consumer.seekToBeginning(partitions);
            long end = consumer.endOffsets(partitions).get(partition);
            long deadline = System.currentTimeMillis() + 60_000;
            while (consumer.position(partition) < end) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("did not reach end offset " + end + " in 60 s");
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    System.out.println("record\t" + r.offset() + "\t" + r.value());
                }
            }
            System.out.println("end\t" + end);
        } finally {
            consumer.close();
        }
    }

    private static String describe(RuntimeException e) {
        return e.getClass().getSimpleName() + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")");
    }

    private static Properties producerProps(String bootstrap, String transactionalId) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("transactional.id", transactionalId);
        props.put("transaction.timeout.ms", "2000");
        props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        props.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        return props;
    }

    private static Properties consumerProps(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        return props;
    }
}
