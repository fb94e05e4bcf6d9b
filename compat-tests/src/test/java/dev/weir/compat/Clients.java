package dev.weir.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * kafka-clients 4.4 producers, consumers and admin clients for a broker, configured as an ordinary
 * application would, plus the few read loops the tests share. Consumers never join a group: they
 * assign partitions, as the APIs of this stage (no group coordinator) allow.
 */
public final class Clients {
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Clients() {
    }

    /** A topic name no other test uses. */
    public static String uniqueTopic(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static Admin admin(Broker broker) {
        Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "weir-compat-admin");
        return Admin.create(props);
    }

    public static KafkaProducer<String, String> producer(Broker broker, Map<String, Object> overrides) {
        return new KafkaProducer<>(producerProps(broker, overrides), new StringSerializer(), new StringSerializer());
    }

    public static KafkaProducer<byte[], byte[]> bytesProducer(Broker broker, Map<String, Object> overrides) {
        return new KafkaProducer<>(producerProps(broker, overrides), new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static KafkaConsumer<String, String> consumer(Broker broker, Map<String, Object> overrides) {
        return new KafkaConsumer<>(consumerProps(broker, overrides), new StringDeserializer(), new StringDeserializer());
    }

    public static KafkaConsumer<byte[], byte[]> bytesConsumer(Broker broker, Map<String, Object> overrides) {
        return new KafkaConsumer<>(consumerProps(broker, overrides), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Creates topics (partitions, replication factor 1, configs) and waits until every partition has a leader. */
    public static void createTopics(Broker broker, NewTopic... topics) {
        try (Admin admin = admin(broker)) {
            get(admin.createTopics(List.of(topics)).all());
            List<String> names = Arrays.stream(topics).map(NewTopic::name).toList();
            Await.until(TIMEOUT, "topics " + names + " have leaders for every partition", () ->
                    get(admin.describeTopics(names).allTopicNames()).values().stream()
                            .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())));
        }
    }

    public static NewTopic topic(String name, int partitions) {
        return new NewTopic(name, partitions, (short) 1);
    }

    public static NewTopic topic(String name, int partitions, Map<String, String> configs) {
        return new NewTopic(name, partitions, (short) 1).configs(configs);
    }

    /**
     * Assigns the partitions, seeks to their beginning, and polls until the consumer's position
     * reaches each partition's end offset as it was when the read started.
     */
    public static <K, V> List<ConsumerRecord<K, V>> readToEnd(KafkaConsumer<K, V> consumer, Collection<TopicPartition> partitions) {
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
        return readUntil(consumer, end);
    }

    /** Polls an already positioned consumer until its position reaches {@code end} for every partition. */
    public static <K, V> List<ConsumerRecord<K, V>> readUntil(KafkaConsumer<K, V> consumer, Map<TopicPartition, Long> end) {
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!end.entrySet().stream().allMatch(e -> consumer.position(e.getKey(), TIMEOUT) >= e.getValue())) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("read " + records.size() + " records but did not reach end offsets " + end
                        + " within " + TIMEOUT.toSeconds() + " s");
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    /**
     * The value of a client future (admin result or producer send), unwrapping ExecutionException so
     * that assertThrows sees Kafka's own exception types.
     */
    public static <T> T get(Future<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw asRuntime(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static RuntimeException asRuntime(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IllegalStateException(cause);
    }

    private static Map<String, Object> producerProps(Broker broker, Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "weir-compat-producer");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putAll(overrides);
        return props;
    }

    private static Map<String, Object> consumerProps(Broker broker, Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "weir-compat-consumer");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putAll(overrides);
        return props;
    }
}
