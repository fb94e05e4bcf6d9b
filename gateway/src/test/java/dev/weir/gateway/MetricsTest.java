package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Request, network, commit and cache metrics move with real traffic and are visible over JMX. */
class MetricsTest {

    @Test
    void produceTrafficShowsInRequestNetworkAndCommitMetricsAndOverJmx(@TempDir Path dir) throws Exception {
        try (EmbeddedGateway g = new EmbeddedGateway(dir, "metrics.jmx.enable=true", "storage.containers=2")) {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, g.bootstrap(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("metered", "k", "v" + i)).get();
                }
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, g.bootstrap(),
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
                TopicPartition tp = new TopicPartition("metered", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                int read = 0;
                while (read < 10) {
                    read += consumer.poll(Duration.ofMillis(200)).count();
                }
            }
            MetricRegistry m = g.gateway.metrics();
            assertTrue(m.meter("storage.cache.hits").getCount() > 0, "the fetches at the tail were served by the cache");
            assertTrue(m.getGauges().keySet().stream().anyMatch(k -> k.endsWith(".cache-used-bytes")));
            assertTrue(m.timer("kafka.request.Produce.latency").getCount() >= 10);
            assertTrue(m.timer("kafka.request.Metadata.latency").getCount() >= 1);
            assertTrue(m.meter("kafka.network.bytes-in").getCount() > 0);
            assertTrue(m.meter("kafka.network.bytes-out").getCount() > 0);
            long commits = m.getTimers().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("storage.container.") && e.getKey().endsWith(".commit-latency"))
                    .mapToLong(e -> e.getValue().getCount()).sum();
            assertTrue(commits >= 10, "commits timed: " + commits);
            assertTrue(m.getHistograms().keySet().stream().anyMatch(k -> k.endsWith(".commit-batch-size")));

            MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = jmx.queryNames(new ObjectName("dev.weir:*"), null);
            assertTrue(names.stream().anyMatch(n -> n.toString().contains("kafka.request.Produce.latency")), names.toString());
        }
    }
}
