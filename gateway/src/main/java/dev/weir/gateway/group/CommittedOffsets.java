package dev.weir.gateway.group;

import dev.weir.gateway.state.RecordLog;
import dev.weir.storage.SegmentStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Committed offsets of every group. Its state is a log of records in one store segment, replayed at
 * start: a commit (a batch of partitions, applied together), a deletion of partitions, or of a whole
 * group. Changes are serialized on one thread and applied to memory only once durable.
 */
public final class CommittedOffsets implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommittedOffsets.class);
    static final String SEGMENT = "__weir_group_offsets";
    private static final byte COMMITTED = 1;
    private static final byte DELETED = 2;
    private static final byte GROUP_DELETED = 3;
    /** The log is compacted at start once it holds this many records more than twice the groups. */
    private static final long COMPACT_AFTER_RECORDS = 10_000;

    /**
     * One committed position, with the client's metadata string and the id of the topic it was
     * committed for: once that topic is deleted (or replaced by one of the same name) it no longer counts.
     */
    public record Committed(Uuid topicId, long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    private RecordLog records;
    private final ExecutorService changes = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "weir-group-offsets");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Map<TopicPartition, Committed>> byGroup = new ConcurrentHashMap<>();

    private CommittedOffsets() {
    }

    public static CommittedOffsets open(SegmentStore store) {
        CommittedOffsets offsets = new CommittedOffsets();
        offsets.records = RecordLog.open(store, SEGMENT, offsets::apply);
        log.info("Committed offsets loaded: {} groups", offsets.byGroup.size());
        if (offsets.records.replayed() > COMPACT_AFTER_RECORDS + 2L * offsets.byGroup.size()) {
            // Each group's offsets rewritten as one record; the history before them dropped.
            List<ByteBuffer> live = new ArrayList<>();
            offsets.byGroup.forEach((groupId, committed) -> live.add(ByteBuffer.wrap(encodeCommit(groupId, committed))));
            offsets.records.rewrite(live);
            log.info("Compacted the committed offsets log from {} to {} records", offsets.records.replayed(), live.size());
        }
        return offsets;
    }

    Set<String> groups() {
        return Set.copyOf(byGroup.keySet());
    }

    /** The group's committed offsets, a snapshot. */
    Map<TopicPartition, Committed> of(String groupId) {
        Map<TopicPartition, Committed> m = byGroup.get(groupId);
        return m == null ? Map.of() : Map.copyOf(m);
    }

    /** Commits the offsets for the group (together); completes once durable. */
    public CompletableFuture<Void> commit(String groupId, Map<TopicPartition, Committed> offsets) {
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        byte[] record = encodeCommit(groupId, offsets);
        return write(out -> out.write(record));
    }

    private static byte[] encodeCommit(String groupId, Map<TopicPartition, Committed> offsets) {
        return GroupMetadataLog.encode(out -> {
            out.writeByte(COMMITTED);
            out.writeUTF(groupId);
            out.writeInt(offsets.size());
            for (Map.Entry<TopicPartition, Committed> e : offsets.entrySet()) {
                out.writeUTF(e.getKey().topic());
                out.writeInt(e.getKey().partition());
                out.writeUTF(e.getValue().topicId().toString());
                out.writeLong(e.getValue().offset());
                out.writeInt(e.getValue().leaderEpoch());
                writeString(out, e.getValue().metadata());
                out.writeLong(e.getValue().commitTimestamp());
            }
        });
    }

    CompletableFuture<Void> delete(String groupId, List<TopicPartition> partitions) {
        return write(out -> {
            out.writeByte(DELETED);
            out.writeUTF(groupId);
            out.writeInt(partitions.size());
            for (TopicPartition tp : partitions) {
                out.writeUTF(tp.topic());
                out.writeInt(tp.partition());
            }
        });
    }

    CompletableFuture<Void> deleteGroup(String groupId) {
        return write(out -> {
            out.writeByte(GROUP_DELETED);
            out.writeUTF(groupId);
        });
    }

    private interface RecordWriter {
        void write(DataOutputStream out) throws IOException;
    }

    private CompletableFuture<Void> write(RecordWriter writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer record = ByteBuffer.wrap(bytes.toByteArray());
        return CompletableFuture.runAsync(() -> {
            records.append(record.duplicate()).join();
            apply(record);
        }, changes);
    }

    private void apply(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            byte type = in.readByte();
            String groupId = in.readUTF();
            switch (type) {
                case COMMITTED -> {
                    int n = in.readInt();
                    Map<TopicPartition, Committed> group = byGroup.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
                    for (int i = 0; i < n; i++) {
                        TopicPartition tp = new TopicPartition(in.readUTF(), in.readInt());
                        group.put(tp, new Committed(Uuid.fromString(in.readUTF()), in.readLong(), in.readInt(),
                                readString(in), in.readLong()));
                    }
                }
                case DELETED -> {
                    int n = in.readInt();
                    List<TopicPartition> gone = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        gone.add(new TopicPartition(in.readUTF(), in.readInt()));
                    }
                    Map<TopicPartition, Committed> group = byGroup.get(groupId);
                    if (group != null) {
                        gone.forEach(group::remove);
                        if (group.isEmpty()) {
                            byGroup.remove(groupId);
                        }
                    }
                }
                case GROUP_DELETED -> byGroup.remove(groupId);
                default -> throw new IllegalStateException("unknown group offsets record type " + type);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Metadata may be null and longer than writeUTF's 64 KiB limit. */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = in.readNBytes(n);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        changes.shutdown();
    }
}
