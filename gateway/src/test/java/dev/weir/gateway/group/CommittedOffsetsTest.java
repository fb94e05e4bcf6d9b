package dev.weir.gateway.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.weir.storage.LmdbSegmentStore;
import dev.weir.storage.SegmentStore;
import dev.weir.storage.StoreOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Committed offsets kept as a log of records in a real LMDB store: replayed at start, compacted when long. */
class CommittedOffsetsTest {
    @TempDir
    Path dir;

    private SegmentStore openStore() {
        return LmdbSegmentStore.open(new StoreOptions(dir, 1, false, 1L << 30, 1L << 24, new MetricRegistry()));
    }

    @Test
    void aLongHistoryOfCommitsIsCompactedAtStartAndTheLatestOffsetsRemain() throws Exception {
        Uuid topicId = Uuid.randomUuid();
        TopicPartition tp = new TopicPartition("t", 0);
        TopicPartition gone = new TopicPartition("t", 1);
        int commits = 12_000;
        try (SegmentStore store = openStore()) {
            CommittedOffsets offsets = CommittedOffsets.open(store);
            CompletableFuture<?> last = null;
            for (int i = 0; i < commits; i++) {
                last = offsets.commit("g", Map.of(tp, new CommittedOffsets.Committed(topicId, i, -1, "m" + i, i)));
            }
            offsets.commit("g", Map.of(gone, new CommittedOffsets.Committed(topicId, 1, -1, null, 1))).join();
            offsets.delete("g", java.util.List.of(gone)).join();
            offsets.commit("h", Map.of(tp, new CommittedOffsets.Committed(topicId, 5, -1, "", 5))).join();
            last.join();
            offsets.close();
        }
        try (SegmentStore store = openStore()) {
            CommittedOffsets offsets = CommittedOffsets.open(store);
            assertEquals(Map.of(tp, new CommittedOffsets.Committed(topicId, commits - 1, -1, "m" + (commits - 1),
                    commits - 1)), offsets.of("g"));
            assertEquals(5, offsets.of("h").get(tp).offset());
            assertTrue(store.getInfo(CommittedOffsets.SEGMENT).join().startOffset() >= commits,
                    "the history before the rewrite is gone");
            offsets.close();
        }
        try (SegmentStore store = openStore()) {
            CommittedOffsets offsets = CommittedOffsets.open(store);
            assertEquals(commits - 1, offsets.of("g").get(tp).offset(), "a compacted log replays to the same state");
            assertEquals(2, offsets.groups().size());
            offsets.close();
        }
    }
}
