package dev.weir.compat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A State Synchronizer client with plain kafka-clients, run as its own process: it increments a
 * counter kept as the last record of a single-partition topic. Each increment reads the state
 * (the last record and the end offset), then appends the new value with header
 * {@code weir.expect-offset} set to that end offset; if another writer got there first the append
 * is rejected and it reads and tries again. Prints {@code done <increments> <rejected>}.
 * With mode {@code key} (a compacted topic) it uses the keyed map instead: header
 * {@code weir.expect-key-offset} set to the offset of the key's latest record ({@code -1}: none).
 *
 * <p>Arguments: bootstrap-servers topic increments [offset|key].
 */
public final class CounterIncrementer {
    private CounterIncrementer() {
    }

    public static void main(String[] args) throws Exception {
        String topic = args[1];
        int increments = Integer.parseInt(args[2]);
        boolean keyed = args.length > 3 && args[3].equals("key");
        TopicPartition tp = new TopicPartition(topic, 0);
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("acks", "all");
        p.put("linger.ms", "0");
        p.put("delivery.timeout.ms", "120000");
        p.put("request.timeout.ms", "10000");
        p.put("reconnect.backoff.max.ms", "200");
        p.put("retry.backoff.max.ms", "200");
        Properties c = new Properties();
        c.put("bootstrap.servers", args[0]);
        c.put("reconnect.backoff.max.ms", "200");
        int done = 0;
        int rejected = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(tp));
            while (done < increments) {
                long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
                long value = end == 0 ? 0 : Long.parseLong(last(consumer, tp, end).value());
                ProducerRecord<String, String> next = new ProducerRecord<>(topic, 0, "counter", Long.toString(value + 1));
                // One key only, so the key's latest record is the partition's last one.
                String expect = keyed ? Long.toString(end == 0 ? -1 : end - 1) : Long.toString(end);
                next.headers().add(keyed ? "weir.expect-key-offset" : "weir.expect-offset",
                        expect.getBytes(StandardCharsets.US_ASCII));
                try {
                    producer.send(next).get();
                    done++;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof InvalidRecordException)) {
                        throw e;
                    }
                    rejected++;
                }
            }
        }
        System.out.println("done " + done + " " + rejected);
    }

    /** The record just before {@code end}. */
    private static ConsumerRecord<String, String> last(KafkaConsumer<String, String> consumer, TopicPartition tp, long end) {
        consumer.seek(tp, end - 1);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100)).records(tp)) {
                if (r.offset() == end - 1) {
                    return r;
                }
            }
        }
        // Say where the consumer stands, so a failure tells a lost record from a consumer that moved on.
        throw new IllegalStateException("could not read offset " + (end - 1) + " of " + tp + " in 60 s: position "
                + consumer.position(tp, Duration.ofSeconds(10)) + ", partition now " + consumer.beginningOffsets(List.of(tp))
                .get(tp) + ".." + consumer.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp));
    }
}
