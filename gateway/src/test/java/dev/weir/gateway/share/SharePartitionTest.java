package dev.weir.gateway.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The share-partition's record states as KIP-932 defines them. */
class SharePartitionTest {
    private static final int LIMIT = 3;
    private static final int LOCKS = 100;

    private static List<SharePartition.Batch> batches(long... bounds) {
        List<SharePartition.Batch> out = new java.util.ArrayList<>();
        for (int i = 0; i < bounds.length; i += 2) {
            out.add(new SharePartition.Batch(bounds[i], bounds[i + 1], false));
        }
        return out;
    }

    private static boolean ack(SharePartition p, String member, long first, long last, byte type) {
        return p.acknowledgeAll(member, List.of(new long[] {first, last}), List.of(new byte[] {type}), LIMIT, 0)
                == SharePartition.AckResult.DONE;
    }

    private static SharePartition.AckResult ackResult(SharePartition p, String member, long first, long last, byte type) {
        return p.acknowledgeAll(member, List.of(new long[] {first, last}), List.of(new byte[] {type}), LIMIT, 0);
    }

    @Test
    void recordsAreAcquiredOnceAndAcceptedRecordsMoveTheStart() {
        SharePartition p = new SharePartition(0);
        assertEquals(List.of(new SharePartition.Acquired(0, 9, (short) 1)),
                p.acquire("a", 0, batches(0, 4, 5, 9), 500, LOCKS, 1000, false));
        // Another member finds nothing available.
        assertEquals(List.of(), p.acquire("b", p.nextFetchOffset(), batches(0, 4, 5, 9), 500, LOCKS, 1000, false));
        assertEquals(SharePartition.AckResult.INVALID_RECORD_STATE, ackResult(p, "b", 0, 4, SharePartition.ACCEPT),
                "only the owner acknowledges");
        assertTrue(ack(p, "a", 0, 4, SharePartition.ACCEPT));
        assertEquals(5, p.startOffset());
        assertEquals(SharePartition.AckResult.DONE, ackResult(p, "a", 0, 4, SharePartition.ACCEPT),
                "as Kafka: offsets below the start are done already, and skipped");
        assertEquals(SharePartition.AckResult.INVALID_REQUEST, ackResult(p, "a", 20, 20, SharePartition.ACCEPT),
                "past what was handed out");
        assertTrue(ack(p, "a", 5, 5, SharePartition.RELEASE));
        assertEquals(SharePartition.AckResult.INVALID_RECORD_STATE, ackResult(p, "a", 5, 5, SharePartition.ACCEPT),
                "a released record is no longer the member's");
    }

    @Test
    void releasedRecordsComeBackWithTheirDeliveryCountUntilTheLimitArchivesThem() {
        SharePartition p = new SharePartition(0);
        for (int delivery = 1; delivery <= LIMIT; delivery++) {
            List<SharePartition.Acquired> got = p.acquire("a", p.nextFetchOffset(), batches(0, 0), 500, LOCKS, 1000, false);
            assertEquals(List.of(new SharePartition.Acquired(0, 0, (short) delivery)), got);
            assertTrue(ack(p, "a", 0, 0, SharePartition.RELEASE));
        }
        assertEquals(1, p.startOffset(), "delivered limit times: archived");
        assertEquals(List.of(), p.acquire("a", p.nextFetchOffset(), batches(0, 0), 500, LOCKS, 1000, false));
    }

    @Test
    void anExpiredLockReleasesTheRecordsAndRejectArchives() {
        SharePartition p = new SharePartition(0);
        p.acquire("a", 0, batches(0, 3), 500, LOCKS, 1000, false);
        assertTrue(ack(p, "a", 1, 1, SharePartition.REJECT));
        assertFalse(p.releaseExpired(999, LIMIT));
        assertTrue(p.releaseExpired(1000, LIMIT));
        assertEquals(SharePartition.AVAILABLE, p.state(0));
        assertEquals(SharePartition.ARCHIVED, p.state(1));
        assertEquals(List.of(new SharePartition.Acquired(0, 0, (short) 2), new SharePartition.Acquired(2, 3, (short) 2)),
                p.acquire("b", p.nextFetchOffset(), batches(0, 3), 500, LOCKS, 2000, false));
    }

    @Test
    void acknowledgementsOfAPartitionApplyAllOrNothing() {
        SharePartition p = new SharePartition(0);
        p.acquire("a", 0, batches(0, 3), 500, LOCKS, 1000, false);
        assertEquals(SharePartition.AckResult.INVALID_REQUEST, p.acknowledgeAll("a",
                List.of(new long[] {0, 1}, new long[] {3, 4}),
                List.of(new byte[] {SharePartition.ACCEPT}, new byte[] {SharePartition.ACCEPT}), LIMIT, 0));
        assertEquals(SharePartition.ACQUIRED, p.state(0), "nothing applied");
        assertEquals(SharePartition.AckResult.DONE, p.acknowledgeAll("a", List.of(new long[] {0, 3}),
                List.of(new byte[] {SharePartition.ACCEPT, SharePartition.RELEASE, SharePartition.REJECT,
                        SharePartition.ACCEPT}), LIMIT, 0));
        assertEquals(1, p.startOffset());
        assertEquals(SharePartition.AVAILABLE, p.state(1));
    }

    @Test
    void gapsAndSkippedBatchesAreArchivedNeverDelivered() {
        SharePartition p = new SharePartition(0);
        List<SharePartition.Batch> log = List.of(new SharePartition.Batch(0, 1, false),
                new SharePartition.Batch(2, 2, true), new SharePartition.Batch(5, 6, false));
        assertEquals(List.of(new SharePartition.Acquired(0, 1, (short) 1), new SharePartition.Acquired(5, 6, (short) 1)),
                p.acquire("a", 0, log, 500, LOCKS, 1000, false));
        assertTrue(ack(p, "a", 0, 1, SharePartition.ACCEPT));
        assertEquals(5, p.startOffset(), "the control record and the gap at 3-4 are done");
    }

    @Test
    void theRecordLimitStopsAtABatchBoundaryUnlessStrict() {
        SharePartition p = new SharePartition(0);
        assertEquals(List.of(new SharePartition.Acquired(0, 4, (short) 1)),
                p.acquire("a", 0, batches(0, 4, 5, 9), 2, LOCKS, 1000, false));
        SharePartition q = new SharePartition(0);
        assertEquals(List.of(new SharePartition.Acquired(0, 1, (short) 1)),
                q.acquire("a", 0, batches(0, 4, 5, 9), 2, LOCKS, 1000, true));
    }

    @Test
    void theInFlightLimitHoldsBackNewRecords() {
        SharePartition p = new SharePartition(0);
        p.acquire("a", 0, batches(0, 99), 500, LOCKS, 1000, false);
        assertFalse(p.canAcquire(LOCKS));
        assertEquals(List.of(), p.acquire("a", 100, batches(100, 109), 500, LOCKS, 1000, false));
        assertTrue(ack(p, "a", 0, 9, SharePartition.ACCEPT));
        assertEquals(List.of(new SharePartition.Acquired(100, 109, (short) 1)),
                p.acquire("a", 100, batches(100, 109), 500, LOCKS, 1000, false));
    }

    @Test
    void theDurableFormKeepsDeliveryCountsAndFreesLocks() throws IOException {
        SharePartition p = new SharePartition(10);
        p.acquire("a", 10, batches(10, 14), 500, LOCKS, 1000, false);
        assertTrue(ack(p, "a", 11, 11, SharePartition.ACCEPT));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            p.write(out);
        }
        SharePartition back = SharePartition.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), LIMIT);
        assertEquals(10, back.startOffset());
        assertEquals(SharePartition.AVAILABLE, back.state(10), "a lock does not outlive the broker");
        assertEquals(SharePartition.ACKNOWLEDGED, back.state(11));
        assertEquals(1, back.deliveryCount(12));
        assertEquals(List.of(new SharePartition.Acquired(10, 10, (short) 2), new SharePartition.Acquired(12, 14, (short) 2)),
                back.acquire("b", back.nextFetchOffset(), batches(10, 14), 500, LOCKS, 1000, false));
    }
}
