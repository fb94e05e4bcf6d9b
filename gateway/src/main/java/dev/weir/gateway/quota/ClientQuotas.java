package dev.weir.gateway.quota;

import dev.weir.gateway.state.RecordLog;
import dev.weir.gateway.state.RecordStrings;
import dev.weir.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client quotas as set by AlterClientQuotas: per entity (a user, a client-id, or both, each a
 * name or the default), a value per quota key. Kept as a log of upserts and removals in one store
 * segment, replayed at start. {@link #limit} resolves a connection's quota with Kafka's precedence,
 * most specific first.
 */
public final class ClientQuotas {
    private static final Logger log = LoggerFactory.getLogger(ClientQuotas.class);
    static final String SEGMENT = "__weir_client_quotas";
    private static final int COMPACT_AFTER_RECORDS = 1000;

    public static final String USER = "user";
    public static final String CLIENT_ID = "client-id";
    public static final String PRODUCER_BYTE_RATE = "producer_byte_rate";
    public static final String CONSUMER_BYTE_RATE = "consumer_byte_rate";

    /**
     * A quota entity: a user part and a client-id part, each absent, a name, or the default
     * ({@code defaultUser}/{@code defaultClient} with a null name).
     */
    public record Entity(boolean hasUser, String user, boolean hasClient, String clientId) {
        static Entity of(String user, String clientId) {
            return new Entity(true, user, true, clientId);
        }

        static Entity user(String user) {
            return new Entity(true, user, false, null);
        }

        static Entity client(String clientId) {
            return new Entity(false, null, true, clientId);
        }
    }

    private final Map<Entity, Map<String, Double>> quotas = new ConcurrentHashMap<>();
    private RecordLog records;

    private ClientQuotas() {
    }

    public static ClientQuotas open(SegmentStore store) {
        ClientQuotas q = new ClientQuotas();
        q.records = RecordLog.open(store, SEGMENT, q::replay);
        long live = q.quotas.values().stream().mapToLong(Map::size).sum();
        if (q.records.replayed() > COMPACT_AFTER_RECORDS + 2 * live) {
            List<ByteBuffer> upserts = new ArrayList<>();
            q.quotas.forEach((e, values) -> values.forEach((k, v) -> upserts.add(encode(e, k, v))));
            q.records.rewrite(upserts);
            log.info("Compacted the client quota log from {} to {} records", q.records.replayed(), upserts.size());
        }
        return q;
    }

    /** The entities with quotas that {@code matches} accepts, with their values. */
    public Map<Entity, Map<String, Double>> describe(Predicate<Entity> matches) {
        Map<Entity, Map<String, Double>> out = new LinkedHashMap<>();
        quotas.forEach((e, values) -> {
            if (!values.isEmpty() && matches.test(e)) {
                out.put(e, Map.copyOf(values));
            }
        });
        return out;
    }

    /** Sets ({@code value} non-null) or removes a quota; applies and completes once durable. */
    public CompletableFuture<Void> set(Entity entity, String key, Double value) {
        return records.append(encode(entity, key, value)).thenRun(() -> apply(entity, key, value));
    }

    /**
     * The quota {@code key} that applies to a connection of {@code user} with {@code clientId}, and
     * the entity it was set on; null if none. The order is Kafka's: user and client-id, user and
     * default client-id, user, default user and client-id, default user and default client-id,
     * default user, client-id, default client-id.
     */
    public Match limit(String key, String user, String clientId) {
        if (quotas.isEmpty()) {
            return null;
        }
        Entity[] order = {
            Entity.of(user, clientId), Entity.of(user, null), Entity.user(user),
            Entity.of(null, clientId), Entity.of(null, null), Entity.user(null),
            Entity.client(clientId), Entity.client(null)
        };
        for (Entity e : order) {
            Map<String, Double> values = quotas.get(e);
            Double v = values == null ? null : values.get(key);
            if (v != null) {
                return new Match(e, v);
            }
        }
        return null;
    }

    /** A quota that applies, and the entity it was set on. */
    public record Match(Entity entity, double value) {
    }

    /** In a cluster: changes of the client quotas made on the controller reach this node as they are written. */
    public void follow(java.util.concurrent.Executor executor) {
        records.follow(this::replay, executor);
    }

    private void replay(ByteBuffer b) {
        Entity e = new Entity(b.get() == 1, RecordStrings.get(b), b.get() == 1, RecordStrings.get(b));
        String key = RecordStrings.get(b);
        Double value = b.get() == 1 ? b.getDouble() : null;
        apply(e, key, value);
    }

    private void apply(Entity entity, String key, Double value) {
        if (value == null) {
            quotas.computeIfPresent(entity, (e, values) -> {
                values.remove(key);
                return values.isEmpty() ? null : values;
            });
        } else {
            quotas.computeIfAbsent(entity, e -> new ConcurrentHashMap<>()).put(key, value);
        }
    }

    private static ByteBuffer encode(Entity e, String key, Double value) {
        byte[] user = RecordStrings.bytes(e.user());
        byte[] client = RecordStrings.bytes(e.clientId());
        byte[] k = RecordStrings.bytes(key);
        ByteBuffer b = ByteBuffer.allocate(1 + RecordStrings.size(user) + 1 + RecordStrings.size(client)
                + RecordStrings.size(k) + 1 + 8);
        b.put((byte) (e.hasUser() ? 1 : 0));
        RecordStrings.put(b, user);
        b.put((byte) (e.hasClient() ? 1 : 0));
        RecordStrings.put(b, client);
        RecordStrings.put(b, k);
        if (value == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) 1).putDouble(value);
        }
        return b.flip();
    }
}
