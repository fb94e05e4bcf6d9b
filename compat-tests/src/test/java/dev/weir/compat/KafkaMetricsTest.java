package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A broker run as users run it, with remote JMX on, shows Kafka's broker metrics under Kafka's
 * ObjectNames moving exactly as a real producer and consumer move them: the same names, read the
 * same way, from Weir and from Kafka 4.4, as a dashboard or jmx-exporter reads them. Weir's
 * Prometheus endpoint (Kafka has none) shows the same counters, and /health and /ready answer.
 */
class KafkaMetricsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int RECORDS = 120;
    private static final int PARTITIONS = 3;

    @ParameterizedTest
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkasJmxNamesAndThePrometheusScrapeMoveWithProduceAndFetch(Target target) throws Exception {
        boolean weir = target == Target.WEIR;
        int jmxPort = FreePorts.next();
        int httpPort = FreePorts.next();
        List<String> remoteJmx = List.of("-Dcom.sun.management.jmxremote.port=" + jmxPort,
                "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
                "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                "-Djava.rmi.server.hostname=127.0.0.1",
                "-Dcom.sun.management.jmxremote.authenticate=false",
                "-Dcom.sun.management.jmxremote.ssl=false");
        try (BrokerProcess gateway = weir
                ? GatewayProcess.start("kafka-metrics", Map.of("metrics.jmx.enable", "true",
                        "metrics.prometheus.listener", "127.0.0.1:" + httpPort), remoteJmx)
                : KafkaBrokerProcess.start("kafka-metrics", Map.of(), remoteJmx);
             JMXConnector connector = Await.value(TIMEOUT, "remote JMX answers", () -> connect(jmxPort))) {
            MBeanServerConnection jmx = connector.getMBeanServerConnection();
            if (weir) {
                assertEquals(200, get(httpPort, "/health").status(), "/health once the gateway serves");
                assertEquals(200, get(httpPort, "/ready").status(), "/ready once the gateway serves");
            }

            String topic = Clients.uniqueTopic("kafka-metrics");
            Clients.createTopics(gateway, Clients.topic(topic, PARTITIONS));
            ObjectName messagesIn = name("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec");
            ObjectName topicMessagesIn = name("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=" + topic);
            ObjectName bytesIn = name("kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec");
            ObjectName bytesOut = name("kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec");
            ObjectName produceTime = name("kafka.network:type=RequestMetrics,name=TotalTimeMs,request=Produce");
            long messagesInBefore = count(jmx, messagesIn);
            long bytesInBefore = count(jmx, bytesIn);
            long produceTimedBefore = count(jmx, produceTime);
            long producesBefore = sumCounts(jmx, "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Produce,*");

            try (KafkaProducer<byte[], byte[]> producer = Clients.bytesProducer(gateway, Map.of(
                    ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 0))) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int i = 0; i < RECORDS; i++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, new byte[100])));
                }
                sent.forEach(Clients::get);
            }
            Await.until(TIMEOUT, "MessagesInPerSec counts every acknowledged record",
                    () -> count(jmx, messagesIn) - messagesInBefore == RECORDS);
            assertEquals(RECORDS, count(jmx, topicMessagesIn), "the topic's own MessagesInPerSec");
            long bytesInAfter = count(jmx, bytesIn);
            assertTrue(bytesInAfter - bytesInBefore >= (long) RECORDS * 100,
                    "BytesInPerSec grew by at least the records' values: " + bytesInBefore + " -> " + bytesInAfter);
            // Kafka marks these once the response is sent, so a moment after the client has it.
            Await.until(TIMEOUT, "RequestsPerSec request=Produce (per version) counts the produce requests",
                    () -> sumCounts(jmx, "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Produce,*")
                            > producesBefore);
            Await.until(TIMEOUT, "TotalTimeMs request=Produce recorded them",
                    () -> count(jmx, produceTime) > produceTimedBefore);
            for (String attribute : List.of("Count", "MeanRate", "OneMinuteRate", "FiveMinuteRate", "FifteenMinuteRate")) {
                jmx.getAttribute(topicMessagesIn, attribute); // the attributes Kafka's meters have
            }
            for (String attribute : List.of("Count", "Min", "Max", "Mean", "StdDev", "50thPercentile", "99thPercentile",
                    "999thPercentile")) {
                jmx.getAttribute(produceTime, attribute); // and Kafka's histograms
            }

            long bytesOutBefore = count(jmx, bytesOut);
            long fetchesBefore = sumCounts(jmx, "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=FetchConsumer,*");
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.bytesConsumer(gateway, Map.of())) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    partitions.add(new TopicPartition(topic, p));
                }
                List<ConsumerRecord<byte[], byte[]>> read = Clients.readToEnd(consumer, partitions);
                assertEquals(RECORDS, read.size(), "every record reads back");
            }
            long bytesProduced = bytesInAfter - bytesInBefore;
            Await.until(TIMEOUT, "BytesOutPerSec grew by at least the bytes produced (" + bytesProduced + ")",
                    () -> count(jmx, bytesOut) - bytesOutBefore >= bytesProduced);
            Await.until(TIMEOUT, "RequestsPerSec request=FetchConsumer counts the consumer's fetches",
                    () -> sumCounts(jmx, "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=FetchConsumer,*")
                            > fetchesBefore);

            int partitionsHosted;
            try (Admin admin = Clients.admin(gateway)) {
                Set<String> topics = Clients.get(admin.listTopics(new ListTopicsOptions().listInternal(true)).names());
                partitionsHosted = Clients.get(admin.describeTopics(topics).allTopicNames()).values().stream()
                        .mapToInt(d -> d.partitions().size()).sum();
            }
            int hosted = partitionsHosted;
            Await.until(TIMEOUT, "PartitionCount is every partition the broker hosts (" + hosted + ")",
                    () -> gauge(jmx, "kafka.server:type=ReplicaManager,name=PartitionCount") == hosted);
            assertEquals(0, gauge(jmx, "kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount"));
            assertEquals(0, gauge(jmx, "kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions"));
            assertEquals(1, gauge(jmx, "kafka.controller:type=KafkaController,name=ActiveControllerCount"));

            if (!weir) {
                deleteAndAwaitMBeansGone(gateway, jmx, topic, topicMessagesIn);
                return;
            }
            String scrape = get(httpPort, "/metrics").body();
            assertEquals(RECORDS, promValue(scrape, "kafka_server_BrokerTopicMetrics_MessagesInPerSec_total"), scrape);
            String topicSeries = "kafka_server_BrokerTopicMetrics_MessagesInPerSec_topic_" + topic.replace('-', '_') + "_total";
            assertEquals(RECORDS, promValue(scrape, topicSeries), "the topic's series in the scrape");
            assertEquals((double) count(jmx, bytesOut), promValue(scrape, "kafka_server_BrokerTopicMetrics_BytesOutPerSec_total"),
                    "the scrape shows the figure JMX shows");
            assertEquals(partitionsHosted, promValue(scrape, "kafka_server_ReplicaManager_PartitionCount"));

            deleteAndAwaitMBeansGone(gateway, jmx, topic, topicMessagesIn);
            assertTrue(!get(httpPort, "/metrics").body().contains(topicSeries + " "), "the deleted topic's series is gone");
        }
    }

    private static void deleteAndAwaitMBeansGone(Broker broker, MBeanServerConnection jmx, String topic, ObjectName mbean) {
        try (Admin admin = Clients.admin(broker)) {
            Clients.get(admin.deleteTopics(List.of(topic)).all());
        }
        Await.until(TIMEOUT, "the deleted topic's MBeans are gone", () -> !registered(jmx, mbean));
    }

    private static Optional<JMXConnector> connect(int port) {
        try {
            return Optional.of(JMXConnectorFactory.connect(
                    new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (Exception e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    private static boolean registered(MBeanServerConnection jmx, ObjectName name) {
        try {
            return jmx.isRegistered(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A meter's or histogram's Count; 0 while it is not registered yet. */
    private static long count(MBeanServerConnection jmx, ObjectName name) {
        try {
            return jmx.isRegistered(name) ? ((Number) jmx.getAttribute(name, "Count")).longValue() : 0;
        } catch (Exception e) {
            throw new IllegalStateException(name.toString(), e);
        }
    }

    private static long sumCounts(MBeanServerConnection jmx, String pattern) {
        try {
            long sum = 0;
            for (ObjectName n : jmx.queryNames(name(pattern), null)) {
                sum += count(jmx, n);
            }
            return sum;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long gauge(MBeanServerConnection jmx, String name) {
        try {
            return ((Number) jmx.getAttribute(name(name), "Value")).longValue();
        } catch (Exception e) {
            throw new IllegalStateException(name, e);
        }
    }

    private record Reply(int status, String body) {
    }

    private static Reply get(int port, String path) {
        try {
            HttpURLConnection http = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                    .openConnection();
            try {
                int status = http.getResponseCode();
                try (InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream()) {
                    return new Reply(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            } finally {
                http.disconnect();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of an unlabelled series in a Prometheus text scrape. */
    private static double promValue(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertTrue(m.find(), series + " is in the scrape");
        return Double.parseDouble(m.group(1));
    }
}
