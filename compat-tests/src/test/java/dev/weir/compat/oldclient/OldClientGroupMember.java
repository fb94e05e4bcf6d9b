package dev.weir.compat.oldclient;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A consumer group member run in a child JVM against an OLD kafka-clients jar (2.8, 3.9): it joins
 * the group, reads {@code count} records committing after each batch, prints what it read and what
 * the group committed, and leaves. Same constraints as {@link OldClientRoundTrip}: 2.8 APIs only,
 * one class, no nested classes.
 *
 * <p>Arguments: bootstrap-servers topic group record-count.
 */
public final class OldClientGroupMember {
    private OldClientGroupMember() {
    }

    public static void main(String[] args) {
        String topic = args[1];
        int count = Integer.parseInt(args[3]);
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("group.id", args[2]);
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        try {
            consumer.subscribe(Collections.singletonList(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            int read = 0;
            while (read < count) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("read only " + read + " of " + count + " records in 60 s");
                }
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<String, String> r : records) {
                    System.out.println("record\t" + r.partition() + "\t" + r.offset() + "\t" + r.value());
                    read++;
                }
                if (!records.isEmpty()) {
                    consumer.commitSync();
                }
            }
            System.out.println("generation\t" + (consumer.groupMetadata().generationId() > 0));
            for (TopicPartition tp : consumer.assignment()) {
                Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Collections.singleton(tp));
                System.out.println("committed\t" + tp.partition() + "\t" + committed.get(tp).offset());
            }
        } finally {
            consumer.close();
        }
    }
}
