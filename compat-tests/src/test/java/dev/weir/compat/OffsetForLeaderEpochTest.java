package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Weir only, by design: Weir reports every leader epoch as -1 (unknown), consistently in Metadata,
 * and OffsetForLeaderEpoch answers any epoch with Kafka's "undefined" (-1, -1); Kafka has real epochs.
 */
class OffsetForLeaderEpochTest {
    @RegisterExtension
    static final Brokers brokers = Brokers.shared();

    @Test
    void anyEpochIsAnsweredAsUndefinedAndUnknownPartitionsAsSuch() {
        assumeTrue(Target.isSelected(Target.WEIR), "Weir's epoch policy");
        Broker gateway = brokers.on(Target.WEIR);
        String topic = Clients.uniqueTopic("epochs");
        Clients.createTopics(gateway, Clients.topic(topic, 2));
        OffsetForLeaderEpochRequestData data = new OffsetForLeaderEpochRequestData().setReplicaId(-1);
        OffsetForLeaderTopic t = new OffsetForLeaderTopic().setTopic(topic);
        t.partitions().add(new OffsetForLeaderPartition().setPartition(0).setLeaderEpoch(0).setCurrentLeaderEpoch(-1));
        t.partitions().add(new OffsetForLeaderPartition().setPartition(7).setLeaderEpoch(0).setCurrentLeaderEpoch(-1));
        data.topics().add(t);
        try (RawKafkaConnection c = RawKafkaConnection.open(gateway)) {
            OffsetsForLeaderEpochResponse r = c.exchange(
                    OffsetsForLeaderEpochRequest.Builder.forConsumer(data.topics()).build((short) 4));
            Map<Integer, EpochEndOffset> byPartition = new java.util.HashMap<>();
            r.data().topics().find(topic).partitions().forEach(p -> byPartition.put(p.partition(), p));
            assertEquals(Errors.NONE.code(), byPartition.get(0).errorCode());
            assertEquals(-1, byPartition.get(0).leaderEpoch());
            assertEquals(-1, byPartition.get(0).endOffset());
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), byPartition.get(7).errorCode());
        }
    }
}
