package dev.weir.gateway.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.group.CommittedOffsets;
import dev.weir.gateway.producer.PartitionTransactions;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoreOptions;
import dev.weir.storage.StoredEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transaction coordinator on a real store, without sockets: its rules, its markers, its replay. */
class TransactionCoordinatorTest {
    @TempDir
    Path dir;

    private final class Setup implements AutoCloseable {
        final SegmentStore store = LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 24,
                new MetricRegistry()));
        final TopicCatalog catalog = TopicCatalog.open(store, "");
        final CommittedOffsets offsets = CommittedOffsets.open(store);
        final PartitionTransactions partitions = new PartitionTransactions(store);
        final TransactionCoordinator coordinator = TransactionCoordinator.open(store, catalog, partitions, offsets, 60_000);

        @Override
        public void close() throws Exception {
            offsets.close();
            catalog.close();
            store.close();
        }
    }

    private static List<RecordBatch> batches(SegmentStore store, String segment) {
        List<RecordBatch> out = new java.util.ArrayList<>();
        for (StoredEntry e : store.read(segment, 0, 1 << 20).join().entries()) {
            MemoryRecords.readableRecords(e.data().duplicate()).batches().forEach(out::add);
        }
        return out;
    }

    @Test
    void aCommitWritesAMarkerIntoEveryPartitionOfTheTransactionAndIsRememberedAcrossARestart() throws Exception {
        TopicMeta topic;
        long producerId;
        try (Setup s = new Setup()) {
            topic = s.catalog.create("t", 2, Map.of()).join();
            TransactionCoordinator.InitResult init = s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join();
            assertEquals(Errors.NONE, init.error());
            producerId = init.producerId();
            List<TopicPartition> both = List.of(new TopicPartition("t", 0), new TopicPartition("t", 1));
            assertEquals(Errors.NONE, s.coordinator.addPartitions("tx", producerId, init.epoch(), both).join());
            assertEquals(Errors.PRODUCER_FENCED,
                    s.coordinator.addPartitions("tx", producerId, (short) (init.epoch() + 1), both).join());
            assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING,
                    s.coordinator.addPartitions("tx", producerId + 1, init.epoch(), both).join());
            assertEquals(Errors.NONE, s.coordinator.endTxn("tx", producerId, init.epoch(), true, false).join().error());
            assertEquals(Errors.NONE, s.coordinator.endTxn("tx", producerId, init.epoch(), true, false).join().error(),
                    "a retried commit is answered again");
            assertEquals(Errors.INVALID_TXN_STATE,
                    s.coordinator.endTxn("tx", producerId, init.epoch(), false, false).join().error());
            for (int p = 0; p < 2; p++) {
                List<RecordBatch> written = batches(s.store, topic.segment(p));
                assertEquals(1, written.size());
                assertTrue(written.get(0).isControlBatch() && written.get(0).isTransactional());
                assertEquals(producerId, written.get(0).producerId());
            }
        }
        try (Setup s = new Setup()) {
            assertEquals("CompleteCommit", s.coordinator.describe("tx").orElseThrow().state());
            TransactionCoordinator.InitResult again = s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join();
            assertEquals(producerId, again.producerId(), "the transactional id keeps its producer id");
            assertEquals(1, again.epoch(), "a new incarnation gets the next epoch");
        }
    }

    @Test
    void transactionsV2BumpTheEpochAtEveryEndAndAbortWithMarkersOfTheNewEpoch() throws Exception {
        try (Setup s = new Setup()) {
            TopicMeta topic = s.catalog.create("t", 1, Map.of()).join();
            TransactionCoordinator.InitResult init = s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join();
            TopicPartition tp = new TopicPartition("t", 0);
            assertEquals(Errors.NONE, s.coordinator.addImplicitly(init.producerId(), init.epoch(), tp).join());
            TransactionCoordinator.EndResult ended = s.coordinator.endTxn("tx", init.producerId(), init.epoch(), false,
                    true).join();
            assertEquals(Errors.NONE, ended.error());
            assertEquals(init.epoch() + 1, ended.epoch());
            assertEquals(ended.epoch(), batches(s.store, topic.segment(0)).get(0).producerEpoch(),
                    "the abort marker carries the new epoch");
            TransactionCoordinator.EndResult retried = s.coordinator.endTxn("tx", init.producerId(), init.epoch(), false,
                    true).join();
            assertEquals(ended, retried, "a retry with the old epoch gets the same answer");
            assertEquals(Errors.INVALID_PRODUCER_EPOCH, s.coordinator.addImplicitly(init.producerId(), init.epoch(), tp)
                    .join(), "the old epoch is fenced");
        }
    }

    @Test
    void aTimeoutOutsideTheAllowedRangeIsRefused() throws Exception {
        try (Setup s = new Setup()) {
            assertEquals(Errors.INVALID_TRANSACTION_TIMEOUT,
                    s.coordinator.initProducerId("tx", 60_001, -1, (short) -1).join().error());
            assertEquals(Errors.INVALID_TRANSACTION_TIMEOUT,
                    s.coordinator.initProducerId("tx", 0, -1, (short) -1).join().error());
        }
    }
}
