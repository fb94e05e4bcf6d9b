package dev.weir.gateway.security;

import dev.weir.gateway.state.RecordLog;
import dev.weir.gateway.state.RecordStrings;
import dev.weir.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.security.authenticator.CredentialCache;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramCredentialUtils;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.token.delegation.internals.DelegationTokenCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SCRAM credentials per user and mechanism, as Kafka's controller keeps them: the salt, the
 * stored key, the server key and the iteration count, never the password. Kept as a log of upserts
 * and removals in one store segment, replayed at start, and served to Kafka's SCRAM SASL server
 * through its {@link CredentialCache}, so a change applies to the next authentication.
 */
public final class ScramCredentials {
    private static final Logger log = LoggerFactory.getLogger(ScramCredentials.class);
    static final String SEGMENT = "__weir_scram_credentials";
    private static final int COMPACT_AFTER_RECORDS = 1000;

    private final CredentialCache cache = new CredentialCache();
    private final DelegationTokenCache tokens = new DelegationTokenCache(ScramMechanism.mechanismNames());
    /** user → mechanism → credential; guarded by this. */
    private final Map<String, Map<ScramMechanism, ScramCredential>> byUser = new TreeMap<>();
    private RecordLog records;

    private ScramCredentials() {
        ScramCredentialUtils.createCache(cache, ScramMechanism.mechanismNames());
    }

    public static ScramCredentials open(SegmentStore store) {
        ScramCredentials c = new ScramCredentials();
        c.records = RecordLog.open(store, SEGMENT, c::replay);
        List<ByteBuffer> live = new ArrayList<>();
        c.byUser.forEach((user, creds) -> creds.forEach((m, cred) -> live.add(encode(user, m, cred))));
        if (c.records.replayed() > COMPACT_AFTER_RECORDS + 2L * live.size()) {
            c.records.rewrite(live);
            log.info("Compacted the SCRAM credential log from {} to {} records", c.records.replayed(), live.size());
        }
        return c;
    }

    /**
     * Creates the users of {@code --add-scram} that have no credential of that mechanism yet; a user
     * that has one keeps it, so a start command that always carries the flag never resets a password.
     */
    public void bootstrap(List<dev.weir.gateway.config.ScramUser> users) {
        for (dev.weir.gateway.config.ScramUser u : users) {
            ScramMechanism mechanism = ScramMechanism.forMechanismName(u.mechanism());
            if (has(u.name(), mechanism)) {
                log.info("{} already has a credential; --add-scram left it as it is", u);
                continue;
            }
            try {
                set(u.name(), mechanism, new ScramFormatter(mechanism).generateCredential(u.password(), u.iterations()))
                        .join();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            log.info("Created the credential of {} ({} iterations) from --add-scram", u, u.iterations());
        }
    }

    CredentialCache.Cache<ScramCredential> cache(String mechanism) {
        return cache.cache(mechanism, ScramCredential.class);
    }

    DelegationTokenCache tokens() {
        return tokens;
    }

    /** Every user with a credential, and the mechanisms and iteration counts of its credentials. */
    public synchronized Map<String, Map<ScramMechanism, Integer>> describe() {
        Map<String, Map<ScramMechanism, Integer>> out = new TreeMap<>();
        byUser.forEach((user, creds) -> {
            Map<ScramMechanism, Integer> iterations = new TreeMap<>();
            creds.forEach((m, c) -> iterations.put(m, c.iterations()));
            out.put(user, iterations);
        });
        return out;
    }

    public synchronized boolean has(String user, ScramMechanism mechanism) {
        Map<ScramMechanism, ScramCredential> creds = byUser.get(user);
        return creds != null && creds.containsKey(mechanism);
    }

    /** Sets ({@code credential} non-null) or removes one credential; applies once durable. */
    public CompletableFuture<Void> set(String user, ScramMechanism mechanism, ScramCredential credential) {
        return records.append(encode(user, mechanism, credential)).thenRun(() -> apply(user, mechanism, credential));
    }

    /** In a cluster: changes of the SCRAM credentials made on the controller reach this node as they are written. */
    public void follow(java.util.concurrent.Executor executor) {
        records.follow(this::replay, executor);
    }

    private void replay(ByteBuffer b) {
        String user = RecordStrings.get(b);
        ScramMechanism mechanism = ScramMechanism.forMechanismName(RecordStrings.get(b));
        String credential = RecordStrings.get(b);
        apply(user, mechanism, credential == null ? null : ScramCredentialUtils.credentialFromString(credential));
    }

    private synchronized void apply(String user, ScramMechanism mechanism, ScramCredential credential) {
        if (credential == null) {
            Map<ScramMechanism, ScramCredential> creds = byUser.get(user);
            if (creds != null) {
                creds.remove(mechanism);
                if (creds.isEmpty()) {
                    byUser.remove(user);
                }
            }
            cache(mechanism.mechanismName()).remove(user);
        } else {
            byUser.computeIfAbsent(user, u -> new TreeMap<>()).put(mechanism, credential);
            cache(mechanism.mechanismName()).put(user, credential);
        }
    }

    private static ByteBuffer encode(String user, ScramMechanism mechanism, ScramCredential credential) {
        byte[] u = RecordStrings.bytes(user);
        byte[] m = RecordStrings.bytes(mechanism.mechanismName());
        byte[] c = credential == null ? null : RecordStrings.bytes(ScramCredentialUtils.credentialToString(credential));
        ByteBuffer b = ByteBuffer.allocate(RecordStrings.size(u) + RecordStrings.size(m) + RecordStrings.size(c));
        RecordStrings.put(b, u);
        RecordStrings.put(b, m);
        RecordStrings.put(b, c);
        return b.flip();
    }
}
