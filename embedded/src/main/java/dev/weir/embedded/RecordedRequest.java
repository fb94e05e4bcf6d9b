package dev.weir.embedded;

import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * One request as the broker saw it, for assertions.
 *
 * @param topics     topics the request names (ids resolved to names), in order, each once
 * @param partitions partitions it names, for APIs that name partitions
 * @param fault      what a {@link FaultRule} did to it, or null when none matched
 */
public record RecordedRequest(ApiKeys apiKey, short version, String clientId, int correlationId, String connectionId,
                              List<String> topics, List<TopicPartition> partitions, FaultRule.Action fault) {
}
