package dev.weir.gateway.group;

import dev.weir.gateway.state.RecordLog;
import dev.weir.storage.SegmentStore;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;

/**
 * Group metadata (membership, generations, assignments) of both protocols as a log of records in one
 * store segment: each record is the whole state of one group after a change, or a tombstone when
 * the group is deleted. Replay keeps the last record per group. Appends are issued in the order
 * of the changes (callers hold the coordinator's monitor), so the log's order is the change order.
 */
public final class GroupMetadataLog {
    static final String SEGMENT = "__weir_group_metadata";
    static final byte CLASSIC = 1;
    static final byte CONSUMER = 2;
    static final byte SHARE = 4;
    private static final byte DELETED = 3;
    /** The log is compacted at start once it holds this many records more than twice the groups. */
    private static final long COMPACT_AFTER_RECORDS = 10_000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupMetadataLog.class);

    /** The latest state of one group: its protocol and the coordinator's encoding of it. */
    record Stored(byte type, byte[] state) {
    }

    private RecordLog records;
    private final Map<String, Stored> loaded = new LinkedHashMap<>();

    private GroupMetadataLog() {
    }

    public static GroupMetadataLog open(SegmentStore store) {
        GroupMetadataLog log = new GroupMetadataLog();
        log.records = RecordLog.open(store, SEGMENT, log::replay);
        if (log.records.replayed() > COMPACT_AFTER_RECORDS + 2L * log.loaded.size()) {
            // The latest state of each group as one record; the history before them dropped.
            java.util.List<ByteBuffer> live = new java.util.ArrayList<>();
            log.loaded.forEach((groupId, stored) -> live.add(ByteBuffer.wrap(encodeState(groupId, stored.type(), stored.state()))));
            log.records.rewrite(live);
            LOG.info("Compacted the group metadata log from {} to {} records", log.records.replayed(), live.size());
        }
        return log;
    }

    /** Groups as stored at start, in the order first seen. */
    Map<String, Stored> loaded() {
        return loaded;
    }

    CompletableFuture<Void> save(String groupId, byte type, byte[] state) {
        return records.append(ByteBuffer.wrap(encodeState(groupId, type, state)));
    }

    private static byte[] encodeState(String groupId, byte type, byte[] state) {
        return encode(out -> {
            out.writeByte(type);
            out.writeUTF(groupId);
            out.writeInt(state.length);
            out.write(state);
        });
    }

    CompletableFuture<Void> delete(String groupId) {
        return records.append(ByteBuffer.wrap(encode(out -> {
            out.writeByte(DELETED);
            out.writeUTF(groupId);
        })));
    }

    private void replay(ByteBuffer record) {
        byte[] b = new byte[record.remaining()];
        record.duplicate().get(b);
        decode(b, in -> {
            byte type = in.readByte();
            String groupId = in.readUTF();
            if (type == DELETED) {
                loaded.remove(groupId);
                return;
            }
            loaded.remove(groupId);
            loaded.put(groupId, new Stored(type, in.readNBytes(in.readInt())));
        });
    }

    // ---------------------------------------------------------------- encoding helpers for the coordinators

    interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    interface Reader {
        void read(DataInputStream in) throws IOException;
    }

    static byte[] encode(Writer writer) {
        return dev.weir.gateway.state.RecordBytes.encode(writer::write);
    }

    static void decode(byte[] b, Reader reader) {
        dev.weir.gateway.state.RecordBytes.decode(b, in -> {
            reader.read(in);
            return null;
        });
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    static String readString(DataInputStream in) throws IOException {
        byte[] b = readBytes(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        return n < 0 ? null : in.readNBytes(n);
    }

    /** A group's subscribed topics with their partition counts (a change re-assigns). */
    static void writeTopicCounts(DataOutputStream out, Map<Uuid, Integer> topics) throws IOException {
        out.writeInt(topics.size());
        for (Map.Entry<Uuid, Integer> e : topics.entrySet()) {
            out.writeLong(e.getKey().getMostSignificantBits());
            out.writeLong(e.getKey().getLeastSignificantBits());
            out.writeInt(e.getValue());
        }
    }

    static Map<Uuid, Integer> readTopicCounts(DataInputStream in) throws IOException {
        Map<Uuid, Integer> topics = new TreeMap<>();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            topics.put(new Uuid(in.readLong(), in.readLong()), in.readInt());
        }
        return topics;
    }

    static void writePartitions(DataOutputStream out, Map<Uuid, Set<Integer>> partitions) throws IOException {
        out.writeInt(partitions.size());
        for (Map.Entry<Uuid, Set<Integer>> e : partitions.entrySet()) {
            out.writeLong(e.getKey().getMostSignificantBits());
            out.writeLong(e.getKey().getLeastSignificantBits());
            out.writeInt(e.getValue().size());
            for (int p : e.getValue()) {
                out.writeInt(p);
            }
        }
    }

    static Map<Uuid, Set<Integer>> readPartitions(DataInputStream in) throws IOException {
        Map<Uuid, Set<Integer>> out = new TreeMap<>();
        int topics = in.readInt();
        for (int i = 0; i < topics; i++) {
            Uuid id = new Uuid(in.readLong(), in.readLong());
            Set<Integer> ps = new TreeSet<>();
            int n = in.readInt();
            for (int j = 0; j < n; j++) {
                ps.add(in.readInt());
            }
            out.put(id, ps);
        }
        return out;
    }
}
