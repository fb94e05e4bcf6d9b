package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Kafka's own command line tools (kafka-topics, kafka-configs for topics, brokers and client quotas, console producer and consumer) work unchanged. */
class KafkaCliToolsTest {
    private static final String TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand";
    private static final String CONFIG_COMMAND = "org.apache.kafka.tools.ConfigCommand";
    private static final String CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer";
    private static final String CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaTopicsCreatesListsDescribesAndDeletesATopic(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("cli-topics");

        ProcessResult created = topics(broker, "--create", "--topic", topic, "--partitions", "3",
                "--replication-factor", "1", "--config", "retention.ms=3600000");
        assertTrue(created.stdout().contains("Created topic " + topic + "."), created.describe("printed no confirmation"));

        try (Admin admin = Clients.admin(broker)) {
            TopicDescription description = TopicAdminTest.describeWhenLed(admin, topic);
            assertEquals(3, description.partitions().size(), "partitions created by kafka-topics");

            assertTrue(topics(broker, "--list").stdoutLines().contains(topic), "kafka-topics --list shows the topic");

            ProcessResult described = topics(broker, "--describe", "--topic", topic);
            List<String> lines = described.stdoutLines();
            String summary = lines.get(0);
            assertTrue(summary.contains("Topic: " + topic), summary);
            assertTrue(summary.contains("TopicId: " + description.topicId()), "the topic id: " + summary);
            assertTrue(summary.contains("PartitionCount: 3"), summary);
            assertTrue(summary.contains("ReplicationFactor: 1"), summary);
            assertTrue(summary.contains("retention.ms=3600000"), "the topic's config: " + summary);
            for (int p = 0; p < 3; p++) {
                String partitionLine = "Partition: " + p + "\t";
                assertTrue(lines.stream().anyMatch(l -> l.contains(partitionLine) && l.contains("Leader: ")),
                        described.describe("does not describe partition " + p));
            }

            topics(broker, "--delete", "--topic", topic);
            Await.until(Clients.TIMEOUT, topic + " is deleted", () -> !Clients.get(admin.listTopics().names()).contains(topic));
        }
        assertFalse(topics(broker, "--list").stdoutLines().contains(topic), "kafka-topics --list no longer shows the topic");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaConfigsAltersDescribesAndDeletesTopicConfigs(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("cli-configs");
        Clients.createTopics(broker, Clients.topic(topic, 1));
        List<String> entity = List.of("--entity-type", "topics", "--entity-name", topic);

        ProcessResult altered = configs(broker, entity, "--alter", "--add-config", "retention.ms=7200000,max.message.bytes=2000000");
        assertTrue(altered.stdout().contains("Completed updating config for topic " + topic + "."), altered.describe("no confirmation"));

        String dynamic = configs(broker, entity, "--describe").stdout();
        assertTrue(dynamic.contains("retention.ms=7200000"), dynamic);
        assertTrue(dynamic.contains("max.message.bytes=2000000"), dynamic);

        configs(broker, entity, "--alter", "--delete-config", "retention.ms");
        String afterDelete = configs(broker, entity, "--describe").stdout();
        assertFalse(afterDelete.contains("retention.ms="), afterDelete);
        assertTrue(afterDelete.contains("max.message.bytes=2000000"), afterDelete);

        String all = configs(broker, entity, "--describe", "--all").stdout();
        assertTrue(all.contains("cleanup.policy=delete"), "defaults are described with --all: " + all);
        assertTrue(all.contains("retention.ms=604800000"), "retention.ms is back to its default: " + all);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaConfigsSetsDescribesAndDeletesClientQuotas(Target target) {
        Broker broker = brokers.on(target);
        String client = Clients.uniqueTopic("cli-quota-client");
        List<String> entity = List.of("--entity-type", "clients", "--entity-name", client);

        ProcessResult altered = configs(broker, entity, "--alter", "--add-config",
                "producer_byte_rate=1048576,consumer_byte_rate=2097152");
        assertTrue(altered.stdout().contains("Completed updating config for client " + client + "."),
                altered.describe("no confirmation"));
        String described = configs(broker, entity, "--describe").stdout();
        assertTrue(described.contains("producer_byte_rate=1048576.0"), described);
        assertTrue(described.contains("consumer_byte_rate=2097152.0"), described);

        configs(broker, entity, "--alter", "--delete-config", "producer_byte_rate,consumer_byte_rate");
        String afterDelete = configs(broker, entity, "--describe").stdout();
        assertFalse(afterDelete.contains("byte_rate"), afterDelete);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void kafkaConfigsDescribesTheBrokerConfiguration(Target target) {
        Broker broker = brokers.on(target);
        String nodeId;
        try (Admin admin = Clients.admin(broker)) {
            nodeId = Clients.get(admin.describeCluster().nodes()).iterator().next().idString();
        }
        String all = configs(broker, List.of("--entity-type", "brokers", "--entity-name", nodeId), "--describe", "--all").stdout();
        assertTrue(all.contains("All configs for broker " + nodeId + " are:"), all);
        assertTrue(all.contains("message.max.bytes=1048588"), all);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void consoleProducerLinesAreReadBackByTheConsoleConsumer(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("cli-console");
        Clients.createTopics(broker, Clients.topic(topic, 1));

        ToolRunner.run(CONSOLE_PRODUCER, List.of("--bootstrap-server", broker.bootstrapServers(), "--topic", topic,
                        "--reader-property", "parse.key=true", "--reader-property", "key.separator=:",
                        "--reader-property", "parse.headers=true"),
                "source:cli,n:1\tk1:hello\nsource:cli,n:2\tk2:console\nsource:cli,n:3\tk3:world\n", ToolRunner.DEFAULT_TIMEOUT)
                .assertSucceeded();

        // --partition with --offset assigns the partition (no consumer group needed)
        ProcessResult consumed = ToolRunner.run(CONSOLE_CONSUMER, List.of("--bootstrap-server", broker.bootstrapServers(),
                        "--topic", topic, "--partition", "0", "--offset", "earliest", "--max-messages", "3", "--timeout-ms", "60000",
                        "--formatter-property", "print.key=true", "--formatter-property", "print.headers=true",
                        "--formatter-property", "print.offset=true"),
                "", ToolRunner.DEFAULT_TIMEOUT).assertSucceeded();
        assertEquals(List.of(
                "Offset:0\tsource:cli,n:1\tk1\thello",
                "Offset:1\tsource:cli,n:2\tk2\tconsole",
                "Offset:2\tsource:cli,n:3\tk3\tworld"), consumed.stdoutLines(), "what the console consumer printed");
        assertTrue(consumed.stderr().contains("Processed a total of 3 messages"), consumed.stderr());

        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> records = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
            assertEquals(List.of("k1=hello", "k2=console", "k3=world"), records.stream().map(r -> r.key() + "=" + r.value()).toList());
        }
    }

    private static ProcessResult topics(Broker broker, String... args) {
        List<String> command = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        command.addAll(List.of(args));
        return ToolRunner.run(TOPIC_COMMAND, command).assertSucceeded();
    }

    private static ProcessResult configs(Broker broker, List<String> entity, String... args) {
        List<String> command = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        command.addAll(entity);
        command.addAll(List.of(args));
        return ToolRunner.run(CONFIG_COMMAND, command, "", Duration.ofSeconds(90)).assertSucceeded();
    }
}
