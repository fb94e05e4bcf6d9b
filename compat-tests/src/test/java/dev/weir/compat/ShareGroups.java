package dev.weir.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Share-group (KIP-932) helpers the share-group tests have in common. */
final class ShareGroups {
    /** Broker settings for share-group tests: short locks; Kafka 4.4 accepts these (its minimums: 1000 ms, 2). Heartbeats stay at the default 5 s: a shorter group.share.heartbeat.interval.ms needs group.share.min.heartbeat.interval.ms on Kafka, which Weir does not take. */
    static final int LOCK_MS = 3000;
    static final int DELIVERY_LIMIT = 3;
    static final Map<String, String> BROKER_SETTINGS = Map.of(
            "group.share.min.record.lock.duration.ms", "1000",
            "group.share.record.lock.duration.ms", String.valueOf(LOCK_MS),
            "group.share.delivery.count.limit", String.valueOf(DELIVERY_LIMIT));

    private ShareGroups() {
    }

    static KafkaShareConsumer<String, String> consumer(Broker broker, String group, String ackMode) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "weir-compat-share-consumer");
        props.put("share.acknowledgement.mode", ackMode);
        return new KafkaShareConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    /** Sets the group config share.auto.offset.reset=earliest (before any member joins). */
    static void startAtEarliest(Broker broker, String group) {
        try (Admin admin = Clients.admin(broker)) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
            Clients.get(admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all());
        }
    }

    /** Produces values {@code prefix-0 .. prefix-(n-1)}, value i to partition i % partitions; returns the values. */
    static List<String> produce(Broker broker, String topic, int partitions, String prefix, int n) {
        List<String> values = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < n; i++) {
                String value = prefix + "-" + i;
                values.add(value);
                producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, value));
            }
            producer.flush();
        }
        return values;
    }

    static String id(ConsumerRecord<?, ?> r) {
        return r.partition() + "@" + r.offset();
    }

    static Duration poll() {
        return Duration.ofMillis(200);
    }
}
