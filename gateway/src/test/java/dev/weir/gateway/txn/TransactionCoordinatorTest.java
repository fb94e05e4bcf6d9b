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
    void aV2EndRetriedWithTheEpochBeforeItsBumpIsAnsweredAgainAndOnlyThatEnd() throws Exception {
        try (Setup s = new Setup()) {
            s.catalog.create("t", 1, Map.of()).join();
            TopicPartition tp = new TopicPartition("t", 0);
            TransactionCoordinator.InitResult init = s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join();
            long id = init.producerId();
            short e = init.epoch();
            assertEquals(Errors.NONE, s.coordinator.addImplicitly(id, e, tp).join());
            TransactionCoordinator.EndResult committed = s.coordinator.endTxn("tx", id, e, true, true).join();
            assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, id, (short) (e + 1)), committed);
            assertEquals(committed, s.coordinator.endTxn("tx", id, e, true, true).join(),
                    "a retried commit after the completed commit, with the previous epoch, succeeds again");
            assertEquals(Errors.INVALID_TXN_STATE, s.coordinator.endTxn("tx", id, e, false, true).join().error(),
                    "an abort naming the epoch of the completed commit");
            assertEquals(Errors.INVALID_TXN_STATE,
                    s.coordinator.endTxn("tx", id, (short) (e + 1), true, true).join().error(),
                    "a commit at the current epoch with no transaction open");
            TransactionCoordinator.EndResult aborted = s.coordinator.endTxn("tx", id, (short) (e + 1), false, true).join();
            assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, id, (short) (e + 2)), aborted,
                    "an abort with nothing open moves the epoch on");
            assertEquals(Errors.PRODUCER_FENCED, s.coordinator.endTxn("tx", id, e, true, true).join().error(),
                    "two bumps back is fenced");
            assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING,
                    s.coordinator.endTxn("tx", id + 1, (short) (e + 2), true, true).join().error());
        }
    }

    @Test
    void aV2CommitAfterTheCoordinatorAbortedATimedOutTransactionIsAnInvalidTransactionState() throws Exception {
        try (Setup s = new Setup()) {
            TopicMeta topic = s.catalog.create("t", 1, Map.of()).join();
            TopicPartition tp = new TopicPartition("t", 0);
            TransactionCoordinator.InitResult init = s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join();
            long id = init.producerId();
            short before = init.epoch();
            assertEquals(Errors.NONE, s.coordinator.addImplicitly(id, before, tp).join());
            short e = s.coordinator.endTxn("tx", id, before, true, true).join().epoch();
            assertEquals(Errors.NONE, s.coordinator.addImplicitly(id, e, tp).join());
            s.coordinator.abortTimedOut(System.currentTimeMillis() + 10_001).join();

            TransactionCoordinator.Description d = s.coordinator.describe("tx").orElseThrow();
            assertEquals("CompleteAbort", d.state());
            assertEquals(e + 1, d.epoch(), "the timeout abort bumps the epoch once, as a V2 end does");
            List<RecordBatch> markers = batches(s.store, topic.segment(0));
            assertEquals(e + 1, markers.get(markers.size() - 1).producerEpoch(), "its marker carries the new epoch");

            assertEquals(Errors.INVALID_TXN_STATE, s.coordinator.endTxn("tx", id, e, true, true).join().error(),
                    "the producer's commit finds its transaction aborted");
            assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, id, (short) (e + 1)),
                    s.coordinator.endTxn("tx", id, e, false, true).join(), "its abort is the abort that happened");
            assertEquals(Errors.PRODUCER_FENCED, s.coordinator.endTxn("tx", id, before, true, true).join().error(),
                    "an older epoch is fenced");
            assertEquals(Errors.PRODUCER_FENCED, s.coordinator.endTxn("tx", id, before, false, true).join().error());
            assertEquals(Errors.INVALID_PRODUCER_EPOCH, s.coordinator.addImplicitly(id, e, tp).join(),
                    "a produce at the old epoch is refused");
            assertEquals(new TransactionCoordinator.InitResult(Errors.NONE, id, (short) (e + 1)),
                    s.coordinator.initProducerId("tx", 10_000, id, e).join(),
                    "InitProducerId naming the previous epoch is a retry: the current epoch, no bump");
            assertEquals(Errors.PRODUCER_FENCED, s.coordinator.initProducerId("tx", 10_000, id, before).join().error());
            assertEquals(new TransactionCoordinator.InitResult(Errors.NONE, id, (short) (e + 2)),
                    s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join(), "a new producer gets the next");
            assertEquals(Errors.PRODUCER_FENCED, s.coordinator.initProducerId("tx", 10_000, id, (short) (e + 1)).join()
                    .error(), "and the one before it is forgotten, so a zombie cannot claim it");
        }
    }

    @Test
    void aV2EndAtTheLastEpochMarksWithItAndHandsOutANewProducerIdEvenToARetry() throws Exception {
        try (Setup s = new Setup()) {
            TopicMeta topic = s.catalog.create("t", 1, Map.of()).join();
            TopicPartition tp = new TopicPartition("t", 0);
            TransactionCoordinator.InitResult init = s.coordinator.initProducerId("tx", 10_000, -1, (short) -1).join();
            while (init.epoch() < Short.MAX_VALUE - 1) {
                init = s.coordinator.initProducerId("tx", 10_000, init.producerId(), init.epoch()).join();
            }
            long old = init.producerId();
            short last = init.epoch();
            assertEquals(Errors.NONE, s.coordinator.addImplicitly(old, last, tp).join());
            TransactionCoordinator.EndResult ended = s.coordinator.endTxn("tx", old, last, true, true).join();
            assertEquals(Errors.NONE, ended.error());
            assertTrue(ended.producerId() != old && ended.epoch() == 0, "a new producer id at epoch 0: " + ended);
            RecordBatch marker = batches(s.store, topic.segment(0)).get(0);
            assertEquals(old, marker.producerId(), "the marker ends the transaction of the producer id that wrote it");
            assertEquals(Short.MAX_VALUE, marker.producerEpoch());
            assertEquals(ended, s.coordinator.endTxn("tx", old, last, true, true).join(),
                    "a retry naming the old producer id's last epoch is answered again");
            assertEquals(Errors.INVALID_TXN_STATE, s.coordinator.endTxn("tx", old, last, false, true).join().error());
            assertEquals(Errors.NONE, s.coordinator.addImplicitly(ended.producerId(), ended.epoch(), tp).join(),
                    "the new producer id carries on");
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
