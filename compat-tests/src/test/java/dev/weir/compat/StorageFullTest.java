package dev.weir.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.junit.jupiter.api.Test;

/**
 * Weir only (Kafka has no storage budget): past {@code storage.max.bytes} produce fails with
 * KAFKA_STORAGE_ERROR, the gateway keeps running, and everything stored before still reads back.
 */
class StorageFullTest {
    private static final long BUDGET = 8L * 1024 * 1024;
    private static final int RECORD_SIZE = 64 * 1024;
    /** Far more than the budget: if nothing fails by then, the budget is not enforced. */
    private static final int MAX_RECORDS = (int) (16 * BUDGET / RECORD_SIZE);

    @Test
    void produceFailsWithKafkaStorageErrorOnceTheBudgetIsSpentAndEarlierRecordsStillRead() {
        assumeTrue(Target.isSelected(Target.WEIR), "storage.max.bytes is a Weir setting; this run targets only Kafka");
        // one container: the budget is split evenly across containers, and this test fills one partition
        try (Broker gateway = Target.WEIR.start("storage-full", Map.of(
                "storage.max.bytes", Long.toString(BUDGET), "storage.containers", "1"))) {
            String topic = Clients.uniqueTopic("storage-full");
            Clients.createTopics(gateway, Clients.topic(topic, 1));

            int stored = 0;
            RuntimeException failure = null;
            // no retries: KAFKA_STORAGE_ERROR is retriable, and the test wants to see it, not a delivery timeout
            try (KafkaProducer<byte[], byte[]> producer = Clients.bytesProducer(gateway, Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.RETRIES_CONFIG, 0,
                    ProducerConfig.LINGER_MS_CONFIG, 0))) {
                while (failure == null && stored < MAX_RECORDS) {
                    try {
                        long offset = Clients.get(producer.send(new ProducerRecord<>(topic, 0, null, value(stored)))).offset();
                        assertEquals(stored, offset, "offset of record " + stored);
                        stored++;
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                }
                assertTrue(failure != null, "produced " + stored + " records of " + RECORD_SIZE + " bytes without hitting storage.max.bytes=" + BUDGET);
                assertInstanceOf(KafkaStorageException.class, failure, "the error once storage is full");
                // the budget covers the whole store, so indexes and metadata take a share, but most of it holds records
                assertTrue((long) stored * RECORD_SIZE >= BUDGET / 2, "only " + stored + " records of " + RECORD_SIZE
                        + " bytes fit into storage.max.bytes=" + BUDGET);

                int beforeRetry = stored;
                RuntimeException again = assertThrows(RuntimeException.class,
                        () -> Clients.get(producer.send(new ProducerRecord<>(topic, 0, null, value(beforeRetry)))), "a second attempt");
                assertInstanceOf(KafkaStorageException.class, again, "the error on a second attempt");
            }

            assertTrue(gateway.isAlive(), "the gateway still runs with a full store");
            try (RawKafkaConnection connection = RawKafkaConnection.open(gateway)) {
                ApiVersionsResponse response = connection.exchange(new ApiVersionsRequest.Builder().build(ApiKeys.API_VERSIONS.latestVersion()));
                assertEquals(Errors.NONE.code(), response.data().errorCode(), "a new connection is answered");
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.bytesConsumer(gateway, Map.of())) {
                List<ConsumerRecord<byte[], byte[]>> records = Clients.readToEnd(consumer, List.of(new TopicPartition(topic, 0)));
                assertEquals(stored, records.size(), "every acknowledged record reads back");
                for (int i = 0; i < stored; i++) {
                    assertEquals(i, records.get(i).offset());
                    assertArrayEquals(value(i), records.get(i).value(), "content of record " + i);
                }
            }
        }
    }

    /** A record value that says which record it is, so damage or reordering shows. */
    private static byte[] value(int index) {
        ByteBuffer value = ByteBuffer.allocate(RECORD_SIZE);
        while (value.remaining() >= Integer.BYTES) {
            value.putInt(index);
        }
        return value.array();
    }
}
