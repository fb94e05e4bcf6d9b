package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeClientQuotasRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsRequest;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ACLs with Kafka's authorizer semantics, on Weir and on Kafka 4.4 with the same settings: a user
 * allowed only to WRITE topics prefixed {@code orders.} and READ group {@code billing} tries every
 * API family, and each answer (error codes, the topics Metadata shows, authorized operations) is the
 * same; kafka-acls adds, lists and removes; ACLs survive a restart and apply at once.
 */
class AclTest {
    private static final Map<Target, SecuredBroker> BROKERS = new EnumMap<>(Target.class);
    private static final String ALICE = SecuredBroker.ALICE;

    static java.util.stream.Stream<Target> targets() {
        return Target.selected();
    }

    private static synchronized SecuredBroker on(Target target) {
        return BROKERS.computeIfAbsent(target, t -> SecuredBroker.start(t, "acl", Map.of(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                // the harness's PLAINTEXT listener (and Kafka's own controller) authenticate as ANONYMOUS
                "super.users", "User:ANONYMOUS;User:" + SecuredBroker.ADMIN)));
    }

    @AfterAll
    static void stopBrokers() {
        synchronized (AclTest.class) {
            BROKERS.values().forEach(SecuredBroker::close);
            BROKERS.clear();
        }
    }

    private static AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + ALICE, "*", op, AclPermissionType.ALLOW));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void aUserAllowedToWriteOrdersAndReadBillingGetsKafkasAnswerFromEveryApi(Target target) throws Exception {
        SecuredBroker b = on(target);
        String suffix = Clients.uniqueTopic("m");
        String orders = "orders." + suffix;
        String payments = "payments." + suffix;
        String billing = "billing";
        String other = "other-" + suffix;
        Clients.createTopics(b.broker, Clients.topic(orders, 1), Clients.topic(payments, 1));
        try (Admin admin = Clients.admin(b.broker)) {
            Clients.get(admin.createAcls(List.of(
                    allow(ResourceType.TOPIC, "orders.", PatternType.PREFIXED, AclOperation.WRITE),
                    allow(ResourceType.GROUP, billing, PatternType.LITERAL, AclOperation.READ))).all());
            for (String g : List.of(billing, other)) {
                Clients.get(admin.alterConsumerGroupOffsets(g, Map.of(new TopicPartition(orders, 0),
                        new OffsetAndMetadata(0))).all());
            }
        }
        // Kafka's broker applies ACLs from its metadata log, a moment after CreateAcls answers; Weir at once.
        awaitAllowed(b, target, orders);
        Map<String, String> answers = new TreeMap<>();
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "acl-matrix")) {
            saslPlain(c, ALICE, SecuredBroker.ALICE_PASSWORD);
            // Metadata: all topics shows only what alice may DESCRIBE (WRITE implies it)
            MetadataResponse all = c.exchange(new MetadataRequest.Builder(new MetadataRequestData().setTopics(null)
                    .setIncludeTopicAuthorizedOperations(true)).build((short) 12));
            Set<String> visible = all.data().topics().stream().map(t -> t.name())
                    .filter(n -> n.endsWith(suffix)).collect(Collectors.toSet());
            answers.put("metadata all topics", visible.toString());
            answers.put("metadata ops of orders", operations(all.data().topics().find(orders).topicAuthorizedOperations()));
            MetadataResponse named = c.exchange(new MetadataRequest.Builder(new MetadataRequestData()
                    .setAllowAutoTopicCreation(true).setTopics(List.of(topic(orders), topic(payments),
                            topic("orders.new-" + suffix)))).build((short) 12));
            named.data().topics().forEach(t -> answers.put("metadata " + t.name().replace(suffix, "S"),
                    Errors.forCode(t.errorCode()).name()));
            answers.put("produce", errors(c.exchange(produce(orders, payments))));
            answers.put("fetch", errors(c.exchange(fetch(all, orders))));
            answers.put("list offsets", errors(c.exchange(listOffsets(orders, payments))));
            answers.put("find coordinator", errors(c.exchange(new FindCoordinatorRequest.Builder(
                    new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of(billing, other)))
                    .build((short) 4))));
            answers.put("find txn coordinator", errors(c.exchange(new FindCoordinatorRequest.Builder(
                    new FindCoordinatorRequestData().setKeyType((byte) 1).setCoordinatorKeys(List.of("t-" + suffix)))
                    .build((short) 4))));
            answers.put("offset commit billing", errors(c.exchange(commit(billing, orders))));
            answers.put("offset commit other", errors(c.exchange(commit(other, orders))));
            List<OffsetFetchRequestData.OffsetFetchRequestGroup> groups = new ArrayList<>();
            for (String g : List.of(billing, other)) {
                groups.add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(g).setTopics(List.of(
                        new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(orders).setPartitionIndexes(List.of(0)))));
            }
            answers.put("offset fetch", errors(c.exchange(OffsetFetchRequest.Builder.forTopicNames(new OffsetFetchRequestData()
                    .setGroups(groups), false).build((short) 8))));
            answers.put("join other", errors(c.exchange(join(other))));
            JoinGroupResponse joined = c.exchange(join(billing));
            answers.put("join billing", Errors.forCode(joined.data().errorCode()).name());
            // WRITE on a topic is enough for an idempotent producer (KIP-679); Kafka may first answer
            // COORDINATOR_LOAD_IN_PROGRESS while its producer id block loads, which is not a refusal.
            InitProducerIdResponse idempotent = c.exchange(new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60000))
                    .build((short) 4));
            answers.put("init producer id idempotent", Errors.forCode(idempotent.data().errorCode())
                    == Errors.CLUSTER_AUTHORIZATION_FAILED ? "CLUSTER_AUTHORIZATION_FAILED" : "not refused");
            answers.put("init producer id transactional", errors(c.exchange(new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData().setTransactionalId("t-" + suffix).setTransactionTimeoutMs(60000))
                    .build((short) 4))));
            answers.put("create topics", errors(c.exchange(new CreateTopicsRequest.Builder(new CreateTopicsRequestData()
                    .setTopics(new CreateTopicsRequestData.CreatableTopicCollection(List.of(
                            new CreateTopicsRequestData.CreatableTopic().setName("orders.x-" + suffix)
                                    .setNumPartitions(1).setReplicationFactor((short) 1)).iterator()))
                    .setTimeoutMs(10000)).build((short) 7))));
            answers.put("delete topics", errors(c.exchange(new DeleteTopicsRequest.Builder(new DeleteTopicsRequestData()
                    .setTopicNames(List.of(orders)).setTimeoutMs(10000)).build((short) 5))));
            answers.put("create partitions", errors(c.exchange(new CreatePartitionsRequest.Builder(
                    new CreatePartitionsRequestData().setTimeoutMs(10000).setTopics(
                            new CreatePartitionsRequestData.CreatePartitionsTopicCollection(List.of(
                                    new CreatePartitionsRequestData.CreatePartitionsTopic().setName(orders).setCount(2)
                                            .setAssignments(null)).iterator()))).build((short) 3))));
            answers.put("delete records", errors(c.exchange(new DeleteRecordsRequest.Builder(new DeleteRecordsRequestData()
                    .setTimeoutMs(10000).setTopics(List.of(new DeleteRecordsRequestData.DeleteRecordsTopic().setName(orders)
                            .setPartitions(List.of(new DeleteRecordsRequestData.DeleteRecordsPartition()
                                    .setPartitionIndex(0).setOffset(0)))))).build((short) 2))));
            answers.put("describe configs", errors(c.exchange(new DescribeConfigsRequest.Builder(new DescribeConfigsRequestData()
                    .setResources(List.of(new DescribeConfigsRequestData.DescribeConfigsResource()
                                    .setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName(orders),
                            new DescribeConfigsRequestData.DescribeConfigsResource()
                                    .setResourceType(ConfigResource.Type.BROKER.id()).setResourceName("1"))))
                    .build((short) 4))));
            answers.put("list groups", c.<ListGroupsResponse>exchange(new ListGroupsRequest.Builder(new ListGroupsRequestData())
                    .build((short) 4)).data().groups().stream().map(g -> g.groupId())
                    .filter(g -> g.equals(billing) || g.equals(other)).sorted().toList().toString());
            answers.put("describe groups", errors(c.exchange(new DescribeGroupsRequest.Builder(new DescribeGroupsRequestData()
                    .setGroups(List.of(billing, other))).build((short) 5))));
            answers.put("delete groups", errors(c.exchange(new DeleteGroupsRequest.Builder(new DeleteGroupsRequestData()
                    .setGroupsNames(List.of(billing))).build((short) 2))));
            answers.put("describe acls", errors(c.exchange(new DescribeAclsRequest.Builder(AclBindingFilter.ANY).build((short) 3))));
            answers.put("create acls", errors(c.exchange(new CreateAclsRequest.Builder(new CreateAclsRequestData()
                    .setCreations(List.of(CreateAclsRequest.aclCreation(allow(ResourceType.TOPIC, payments,
                            PatternType.LITERAL, AclOperation.READ))))).build((short) 3))));
            answers.put("describe client quotas", errors(c.exchange(new DescribeClientQuotasRequest.Builder(
                    org.apache.kafka.common.quota.ClientQuotaFilter.all()).build((short) 1))));
            DescribeUserScramCredentialsResponse scram = c.exchange(new DescribeUserScramCredentialsRequest.Builder(
                    new DescribeUserScramCredentialsRequestData()).build((short) 0));
            answers.put("describe scram", Errors.forCode(scram.data().errorCode()).name());
        }
        Map<String, String> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("metadata all topics", "[" + orders + "]"),
                Map.entry("metadata ops of orders", "[DESCRIBE, WRITE]"),
                Map.entry("metadata orders.S", "NONE"),
                Map.entry("metadata payments.S", "TOPIC_AUTHORIZATION_FAILED"),
                Map.entry("metadata orders.new-S", "TOPIC_AUTHORIZATION_FAILED"),
                Map.entry("produce", "{NONE=1, TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("fetch", "{NONE=1, TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("list offsets", "{NONE=1, TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("find coordinator", "{NONE=1, GROUP_AUTHORIZATION_FAILED=1}"),
                Map.entry("find txn coordinator", "{TRANSACTIONAL_ID_AUTHORIZATION_FAILED=1}"),
                Map.entry("offset commit billing", "{TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("offset commit other", "{GROUP_AUTHORIZATION_FAILED=1}"),
                Map.entry("offset fetch", "{NONE=2, GROUP_AUTHORIZATION_FAILED=1}"),
                Map.entry("join other", "{GROUP_AUTHORIZATION_FAILED=1}"),
                Map.entry("join billing", "MEMBER_ID_REQUIRED"),
                Map.entry("init producer id idempotent", "not refused"),
                Map.entry("init producer id transactional", "{TRANSACTIONAL_ID_AUTHORIZATION_FAILED=1}"),
                Map.entry("create topics", "{TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("delete topics", "{TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("create partitions", "{TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("delete records", "{TOPIC_AUTHORIZATION_FAILED=1}"),
                Map.entry("describe configs", "{TOPIC_AUTHORIZATION_FAILED=1, CLUSTER_AUTHORIZATION_FAILED=1}"),
                Map.entry("list groups", "[" + billing + "]"),
                Map.entry("describe groups", "{NONE=1, GROUP_AUTHORIZATION_FAILED=1}"),
                Map.entry("delete groups", "{GROUP_AUTHORIZATION_FAILED=1}"),
                Map.entry("describe acls", "{CLUSTER_AUTHORIZATION_FAILED=1}"),
                Map.entry("create acls", "{CLUSTER_AUTHORIZATION_FAILED=1}"),
                Map.entry("describe client quotas", "{CLUSTER_AUTHORIZATION_FAILED=1}"),
                Map.entry("describe scram", "CLUSTER_AUTHORIZATION_FAILED")));
        assertEquals(expected, answers);
        try (Admin admin = Clients.admin(b.broker)) {
            assertFalse(Clients.get(admin.listTopics().names()).contains("orders.new-" + suffix),
                    "an unauthorized auto-creation creates nothing");
            Clients.get(admin.deleteAcls(List.of(new AclBindingFilter(ResourcePatternFilter.ANY,
                    new AccessControlEntryFilter("User:" + ALICE, null, AclOperation.ANY, AclPermissionType.ANY)))).all());
        }
    }

    private static String operations(int bits) {
        List<String> ops = new ArrayList<>();
        for (AclOperation op : AclOperation.values()) {
            if (op.code() > 0 && op.code() < 32 && (bits & (1 << op.code())) != 0) {
                ops.add(op.name());
            }
        }
        java.util.Collections.sort(ops);
        return ops.toString();
    }

    private static String errors(AbstractResponse r) {
        return new TreeMap<>(r.errorCounts()).toString();
    }

    private static MetadataRequestData.MetadataRequestTopic topic(String name) {
        return new MetadataRequestData.MetadataRequestTopic().setName(name);
    }

    private static ProduceRequest produce(String... topics) {
        ProduceRequestData.TopicProduceDataCollection data = new ProduceRequestData.TopicProduceDataCollection();
        for (String t : topics) {
            data.add(new ProduceRequestData.TopicProduceData().setName(t).setPartitionData(List.of(
                    new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(MemoryRecords.withRecords(
                            Compression.NONE, new SimpleRecord("v".getBytes(StandardCharsets.UTF_8)))))));
        }
        return new ProduceRequest.Builder((short) 9, (short) 9, new ProduceRequestData().setAcks((short) -1)
                .setTimeoutMs(10000).setTopicData(data)).build((short) 9);
    }

    private static FetchRequest fetch(MetadataResponse metadata, String topic) {
        Map<TopicPartition, FetchRequest.PartitionData> wanted = new java.util.LinkedHashMap<>();
        wanted.put(new TopicPartition(topic, 0), new FetchRequest.PartitionData(
                org.apache.kafka.common.Uuid.ZERO_UUID, 0, -1, 1 << 20, java.util.Optional.empty()));
        return FetchRequest.Builder.forConsumer((short) 12, 0, 1, wanted).build((short) 12);
    }

    private static ListOffsetsRequest listOffsets(String... topics) {
        List<ListOffsetsRequestData.ListOffsetsTopic> ts = new ArrayList<>();
        for (String t : topics) {
            ts.add(new ListOffsetsRequestData.ListOffsetsTopic().setName(t).setPartitions(List.of(
                    new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1))));
        }
        return ListOffsetsRequest.Builder.forConsumer(false, org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)
                .setTargetTimes(ts).build((short) 7);
    }

    private static OffsetCommitRequest commit(String group, String topic) {
        return OffsetCommitRequest.Builder.forTopicNames(new OffsetCommitRequestData().setGroupId(group)
                .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic).setPartitions(
                        List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                                .setCommittedOffset(1)))))).build((short) 8);
    }

    private static JoinGroupRequest join(String group) {
        return new JoinGroupRequest.Builder(new JoinGroupRequestData().setGroupId(group).setMemberId("")
                .setProtocolType("consumer").setSessionTimeoutMs(30000).setRebalanceTimeoutMs(30000)
                .setProtocols(new JoinGroupRequestData.JoinGroupRequestProtocolCollection(List.of(
                        new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[0]))
                        .iterator()))).build((short) 7);
    }

    static void saslPlain(RawKafkaConnection c, String user, String password) {
        SaslAuthenticateResponse r = c.authenticatePlain(user, password);
        assertEquals(Errors.NONE, Errors.forCode(r.data().errorCode()), r.data().errorMessage());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void kafkaAclsAddsListsAndRemovesAndTheAclsApplyAtOnceAndSurviveARestart(Target target) {
        SecuredBroker b = on(target);
        String topic = Clients.uniqueTopic("acl-cli");
        Clients.createTopics(b.broker, Clients.topic(topic, 1));
        ToolRunner.succeedAgainst(b.broker, "org.apache.kafka.tools.AclCommand", "--add", "--allow-principal",
                "User:" + ALICE, "--operation", "Read", "--operation", "Describe", "--topic", topic);
        ProcessResult listed = ToolRunner.succeedAgainst(b.broker, "org.apache.kafka.tools.AclCommand", "--list",
                "--topic", topic);
        assertTrue(listed.stdout().contains("(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)")
                && listed.stdout().contains("(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)"),
                listed.stdout());
        awaitAllowed(b, target, topic);
        b.broker.kill9();
        b.broker.restart();
        assertEquals(Errors.NONE, Await.value(Duration.ofSeconds(30), "ACLs back after the restart", () -> {
            Errors e = listOffsetsAs(b, topic);
            return e == Errors.NONE ? java.util.Optional.of(e) : java.util.Optional.empty();
        }));
        ToolRunner.succeedAgainst(b.broker, "org.apache.kafka.tools.AclCommand", "--remove", "--force",
                "--allow-principal", "User:" + ALICE, "--operation", "Read", "--operation", "Describe", "--topic", topic);
        if (target == Target.WEIR) {
            assertEquals(Errors.TOPIC_AUTHORIZATION_FAILED, listOffsetsAs(b, topic), "refused at once");
        } else {
            Await.until(Duration.ofSeconds(30), "the ACL removed", () -> listOffsetsAs(b, topic) != Errors.NONE);
        }
        ProcessResult empty = ToolRunner.succeedAgainst(b.broker, "org.apache.kafka.tools.AclCommand", "--list",
                "--topic", topic);
        assertFalse(empty.stdout().contains("User:alice"), empty.stdout());
    }

    /** alice may describe {@code topic}: on Weir at once (ACLs apply before CreateAcls answers), on Kafka soon. */
    private static void awaitAllowed(SecuredBroker b, Target target, String topic) {
        if (target == Target.WEIR) {
            assertEquals(Errors.NONE, listOffsetsAs(b, topic), "allowed at once");
        } else {
            Await.until(Duration.ofSeconds(30), "the ACLs applied", () -> listOffsetsAs(b, topic) == Errors.NONE);
        }
    }

    private static Errors listOffsetsAs(SecuredBroker b, String topic) {
        try (RawKafkaConnection c = RawKafkaConnection.open("127.0.0.1", b.saslPlaintextPort, "acl-cli")) {
            saslPlain(c, ALICE, SecuredBroker.ALICE_PASSWORD);
            ListOffsetsResponse r = c.exchange(listOffsets(topic));
            return Errors.forCode(r.data().topics().get(0).partitions().get(0).errorCode());
        }
    }
}
