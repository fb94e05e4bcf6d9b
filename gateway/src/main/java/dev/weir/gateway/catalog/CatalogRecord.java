package dev.weir.gateway.catalog;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.Uuid;

/**
 * One change to the catalog, as stored in the catalog segment and replayed at start.
 * The catalog's state is the fold of these records in order.
 */
sealed interface CatalogRecord {

    /** A topic was created or changed (partitions, configs): the full new description. */
    record TopicUpserted(TopicMeta topic) implements CatalogRecord {
    }

    record TopicDeleted(String name, Uuid id) implements CatalogRecord {
    }

    record ClusterIdSet(String clusterId) implements CatalogRecord {
    }

    /** Producer ids below {@code nextUnused} have been handed out or reserved. */
    record ProducerIdsReserved(long nextUnused) implements CatalogRecord {
    }

    byte TOPIC_UPSERTED = 1;
    byte TOPIC_DELETED = 2;
    byte CLUSTER_ID_SET = 3;
    byte PRODUCER_IDS_RESERVED = 4;

    static ByteBuffer encode(CatalogRecord record) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (record instanceof TopicUpserted t) {
                out.writeByte(TOPIC_UPSERTED);
                out.writeUTF(t.topic().name());
                out.writeUTF(t.topic().id().toString());
                out.writeInt(t.topic().partitions());
                out.writeInt(t.topic().configOverrides().size());
                for (Map.Entry<String, String> e : t.topic().configOverrides().entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
            } else if (record instanceof TopicDeleted d) {
                out.writeByte(TOPIC_DELETED);
                out.writeUTF(d.name());
                out.writeUTF(d.id().toString());
            } else if (record instanceof ClusterIdSet c) {
                out.writeByte(CLUSTER_ID_SET);
                out.writeUTF(c.clusterId());
            } else if (record instanceof ProducerIdsReserved p) {
                out.writeByte(PRODUCER_IDS_RESERVED);
                out.writeLong(p.nextUnused());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(bytes.toByteArray());
    }

    static CatalogRecord decode(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
            byte type = in.readByte();
            return switch (type) {
                case TOPIC_UPSERTED -> {
                    String name = in.readUTF();
                    Uuid id = Uuid.fromString(in.readUTF());
                    int partitions = in.readInt();
                    int n = in.readInt();
                    Map<String, String> configs = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        configs.put(in.readUTF(), in.readUTF());
                    }
                    yield new TopicUpserted(new TopicMeta(name, id, partitions, configs));
                }
                case TOPIC_DELETED -> new TopicDeleted(in.readUTF(), Uuid.fromString(in.readUTF()));
                case CLUSTER_ID_SET -> new ClusterIdSet(in.readUTF());
                case PRODUCER_IDS_RESERVED -> new ProducerIdsReserved(in.readLong());
                default -> throw new IllegalStateException("unknown catalog record type " + type);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
