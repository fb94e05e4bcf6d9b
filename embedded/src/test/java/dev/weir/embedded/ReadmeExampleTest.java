package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The examples of README's "Weir in your tests", kept compiling and passing here. */
class ReadmeExampleTest {
    @WeirBroker(config = {"num.partitions=3"})
    static EmbeddedWeir weir; // one broker for the class; an instance field gets one per test

    @Test
    void producesToTheEmbeddedBroker() throws Exception {
        weir.createTopic("orders", 3);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", weir.bootstrapServers(),
                "key.serializer", StringSerializer.class, "value.serializer", StringSerializer.class))) {
            producer.send(new ProducerRecord<>("orders", "k", "v")).get();
        }
    }

    @Test
    void producerRetriesANotLeaderError() throws Exception {
        FaultRule rule = weir.faults().on(ApiKeys.PRODUCE).topic("payments").once()
                .respond(Errors.NOT_LEADER_OR_FOLLOWER);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", weir.bootstrapServers(),
                "key.serializer", StringSerializer.class, "value.serializer", StringSerializer.class))) {
            producer.send(new ProducerRecord<>("payments", "k", "v")).get(); // retried after a metadata refresh
        }
        assertEquals(1, rule.hits());
        assertEquals(2, weir.faults().requests(ApiKeys.PRODUCE).stream()
                .filter(r -> r.topics().contains("payments")).count());
    }
}
