package dev.weir.embedded;

import dev.weir.gateway.Gateway;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * {@link EmbeddedWeir#createTopic}: a CreateTopics request handed straight to its handler, with its
 * checks. Apart from EmbeddedWeir so that loading that class needs no message classes, and a wrong
 * kafka-clients version is reported by {@link KafkaClientsCheck} rather than by the class verifier.
 */
final class TopicCreation {
    private TopicCreation() {
    }

    static void create(Gateway g, String name, int partitions, Map<String, String> configs) {
        CreatableTopic topic = new CreatableTopic().setName(name).setNumPartitions(partitions).setReplicationFactor((short) -1);
        configs.forEach((k, v) -> topic.configs().add(new CreatableTopicConfig().setName(k).setValue(v)));
        CreateTopicsRequestData data = new CreateTopicsRequestData().setTimeoutMs(30_000);
        data.topics().add(topic);
        short version = g.registry().support(ApiKeys.CREATE_TOPICS).maxVersion();
        CreateTopicsRequest request = new CreateTopicsRequest.Builder(data).build(version);
        RequestHeader header = new RequestHeader(ApiKeys.CREATE_TOPICS, version, "weir-embedded", 0);
        RequestContext context = new RequestContext(header, "weir-embedded", InetAddress.getLoopbackAddress(),
                Optional.empty(), KafkaPrincipal.ANONYMOUS, ListenerName.normalised("PLAINTEXT"),
                SecurityProtocol.PLAINTEXT, ClientInformation.EMPTY, false);
        AbstractResponse response;
        try {
            response = g.registry().handler(ApiKeys.CREATE_TOPICS).handle(context, request).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
        for (CreatableTopicResult r : ((CreateTopicsResponse) response).data().topics()) {
            if (r.errorCode() != Errors.NONE.code()) {
                throw Errors.forCode(r.errorCode()).exception(r.errorMessage());
            }
        }
    }
}
