package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which member epochs a KIP-848 group accepts in OffsetCommit, at the wire, on Weir as on Kafka 4.4:
 * the member's current epoch commits any partition; an older one (a member that has not yet heard of
 * its new epoch) commits what it has held since that epoch (KIP-1251), not what it gave up; a newer
 * one is refused.
 */
class MemberEpochCommitTest {
    private static final short HEARTBEAT = 0;
    private static final short COMMIT = 9;

    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    /** One member's view, as its heartbeats tell it. */
    private static final class Member {
        final String id = Uuid.randomUuid().toString();
        int epoch;
        Set<Integer> owned = new TreeSet<>();
    }

    private static ConsumerGroupHeartbeatResponseData beat(RawKafkaConnection c, String group, String topic,
                                                         Uuid topicId, Member m) {
        ConsumerGroupHeartbeatRequestData d = new ConsumerGroupHeartbeatRequestData().setGroupId(group)
                .setMemberId(m.id).setMemberEpoch(m.epoch).setRebalanceTimeoutMs(30_000)
                .setSubscribedTopicNames(List.of(topic)).setServerAssignor("uniform")
                .setTopicPartitions(m.owned.isEmpty() ? List.of() : List.of(
                        new ConsumerGroupHeartbeatRequestData.TopicPartitions().setTopicId(topicId)
                                .setPartitions(new ArrayList<>(m.owned))));
        ConsumerGroupHeartbeatResponseData r = ((ConsumerGroupHeartbeatResponse) c.exchange(
                new ConsumerGroupHeartbeatRequest.Builder(d).build(HEARTBEAT))).data();
        if (r.errorCode() == Errors.NONE.code()) {
            m.epoch = r.memberEpoch();
            if (r.assignment() != null) {
                Set<Integer> given = new TreeSet<>();
                r.assignment().topicPartitions().forEach(tp -> given.addAll(tp.partitions()));
                m.owned = given; // reconciled at once: what is revoked is let go, what is added taken
            }
        }
        return r;
    }

    private static Errors commit(RawKafkaConnection c, String group, String topic, Member m, int epoch, int partition) {
        OffsetCommitRequestData d = new OffsetCommitRequestData().setGroupId(group).setMemberId(m.id)
                .setGenerationIdOrMemberEpoch(epoch).setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic()
                        .setName(topic).setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                                .setPartitionIndex(partition).setCommittedOffset(1)))));
        OffsetCommitResponse r = c.exchange(OffsetCommitRequest.Builder.forTopicNames(d).build(COMMIT));
        return Errors.forCode(r.data().topics().get(0).partitions().get(0).errorCode());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.compat.Target#selected")
    void anOlderMemberEpochCommitsWhatTheMemberHeldSinceThenAndANewerOneNothing(Target target) {
        Broker broker = brokers.on(target);
        String topic = Clients.uniqueTopic("epoch-commit");
        String group = Clients.uniqueTopic("epoch-commit");
        Clients.createTopics(broker, Clients.topic(topic, 2));
        Uuid topicId;
        try (org.apache.kafka.clients.admin.Admin admin = Clients.admin(broker)) {
            topicId = Clients.get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).topicId();
        }
        try (RawKafkaConnection c = RawKafkaConnection.open(broker)) {
            Await.until(Clients.TIMEOUT, "a coordinator for the group", () -> {
                FindCoordinatorResponse r = c.exchange(new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                        .setKeyType((byte) 0).setCoordinatorKeys(List.of(group))).build((short) 4));
                return r.data().coordinators().get(0).errorCode() == Errors.NONE.code();
            });
            Member a = new Member();
            Member b = new Member();
            Await.until(Clients.TIMEOUT, "a owns both partitions", () -> {
                beat(c, group, topic, topicId, a);
                return a.owned.equals(Set.of(0, 1));
            });
            int held = a.epoch;
            Await.until(Clients.TIMEOUT, "b owns a partition a gave up", () -> {
                beat(c, group, topic, topicId, b);
                beat(c, group, topic, topicId, a);
                return b.owned.size() == 1 && a.owned.size() == 1 && a.epoch > held;
            });
            int kept = a.owned.iterator().next();
            int given = 1 - kept;

            assertEquals(Errors.NONE, commit(c, group, topic, a, a.epoch, kept), "the current epoch");
            assertEquals(Errors.NONE, commit(c, group, topic, a, held, kept),
                    "an older epoch, for a partition held since then");
            assertEquals(Errors.STALE_MEMBER_EPOCH, commit(c, group, topic, a, held, given),
                    "an older epoch, for a partition given up since");
            assertEquals(Errors.STALE_MEMBER_EPOCH, commit(c, group, topic, a, a.epoch + 1, kept), "a newer epoch");
            assertTrue(b.epoch > 0);
        }
    }
}
