package dev.weir.gateway.security;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialDeletion;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialUpsertion;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.CredentialInfo;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterUserScramCredentialsRequest;
import org.apache.kafka.common.requests.AlterUserScramCredentialsResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsRequest;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;

/**
 * DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554), with the checks and
 * messages of Kafka's controller. The client sends a salt and a salted password; the stored key
 * and server key are derived from them here, so the password itself never reaches the broker.
 */
public final class ScramCredentialHandler implements ApiHandler {
    private static final int MAX_ITERATIONS = 16384;
    private static final String TWICE = "A user credential cannot be altered twice in the same request";

    private final ScramCredentials credentials;
    private final Access access;

    public ScramCredentialHandler(ScramCredentials credentials, Access access) {
        this.credentials = credentials;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, 0, 0),
                ApiSupport.of(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, 0, 0));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        // As Kafka: DESCRIBE on the cluster to list credentials, ALTER to change them.
        boolean isDescribe = request instanceof DescribeUserScramCredentialsRequest;
        if (!access.allowedOnCluster(context, isDescribe ? AclOperation.DESCRIBE : AclOperation.ALTER)) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0,
                    Errors.CLUSTER_AUTHORIZATION_FAILED.exception()));
        }
        if (request instanceof DescribeUserScramCredentialsRequest describe) {
            return CompletableFuture.completedFuture(new DescribeUserScramCredentialsResponse(describe(describe.data())));
        }
        return alter(((AlterUserScramCredentialsRequest) request).data())
                .thenApply(AlterUserScramCredentialsResponse::new);
    }

    private DescribeUserScramCredentialsResponseData describe(DescribeUserScramCredentialsRequestData req) {
        Map<String, Map<org.apache.kafka.common.security.scram.internals.ScramMechanism, Integer>> all = credentials.describe();
        Map<String, Boolean> users = new LinkedHashMap<>(); // user → named more than once
        if (req.users() == null || req.users().isEmpty()) {
            all.keySet().forEach(u -> users.put(u, false));
        } else {
            req.users().forEach(u -> users.merge(u.name(), false, (a, b) -> true));
        }
        DescribeUserScramCredentialsResponseData out = new DescribeUserScramCredentialsResponseData();
        users.forEach((user, twice) -> {
            DescribeUserScramCredentialsResult result = new DescribeUserScramCredentialsResult().setUser(user);
            Map<org.apache.kafka.common.security.scram.internals.ScramMechanism, Integer> creds = all.get(user);
            if (twice) {
                result.setErrorCode(Errors.DUPLICATE_RESOURCE.code())
                        .setErrorMessage("Cannot describe SCRAM credentials for the same user twice in a single request: " + user);
            } else if (creds == null) {
                result.setErrorCode(Errors.RESOURCE_NOT_FOUND.code())
                        .setErrorMessage("Attempt to describe a user credential that does not exist: " + user);
            } else {
                List<CredentialInfo> infos = new ArrayList<>();
                creds.forEach((m, iterations) -> infos.add(new CredentialInfo()
                        .setMechanism(ScramMechanism.fromMechanismName(m.mechanismName()).type()).setIterations(iterations)));
                result.setCredentialInfos(infos);
            }
            out.results().add(result);
        });
        return out;
    }

    private CompletableFuture<AlterUserScramCredentialsResponseData> alter(AlterUserScramCredentialsRequestData req) {
        Map<String, ScramCredentialDeletion> deletions = new LinkedHashMap<>();
        Map<String, ScramCredentialUpsertion> upserts = new LinkedHashMap<>();
        Map<String, ApiError> errors = new LinkedHashMap<>();
        for (ScramCredentialDeletion d : req.deletions()) {
            if (errors.containsKey(d.name())) {
                continue;
            }
            if (deletions.remove(d.name()) != null) {
                errors.put(d.name(), new ApiError(Errors.DUPLICATE_RESOURCE, TWICE));
                continue;
            }
            ApiError e = validate(d.name(), d.mechanism());
            if (e.isSuccess() && !credentials.has(d.name(), internal(d.mechanism()))) {
                e = new ApiError(Errors.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist");
            }
            if (e.isFailure()) {
                errors.put(d.name(), e);
            } else {
                deletions.put(d.name(), d);
            }
        }
        for (ScramCredentialUpsertion u : req.upsertions()) {
            if (errors.containsKey(u.name())) {
                continue;
            }
            if (deletions.remove(u.name()) != null || upserts.remove(u.name()) != null) {
                errors.put(u.name(), new ApiError(Errors.DUPLICATE_RESOURCE, TWICE));
                continue;
            }
            ApiError e = validate(u.name(), u.mechanism());
            if (e.isSuccess()) {
                if (u.iterations() < internal(u.mechanism()).minIterations()) {
                    e = new ApiError(Errors.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
                } else if (u.iterations() > MAX_ITERATIONS) {
                    e = new ApiError(Errors.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
                }
            }
            if (e.isFailure()) {
                errors.put(u.name(), e);
            } else {
                upserts.put(u.name(), u);
            }
        }
        AlterUserScramCredentialsResponseData out = new AlterUserScramCredentialsResponseData();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (ScramCredentialDeletion d : deletions.values()) {
            writes.add(credentials.set(d.name(), internal(d.mechanism()), null));
            out.results().add(new AlterUserScramCredentialsResult().setUser(d.name()));
        }
        for (ScramCredentialUpsertion u : upserts.values()) {
            org.apache.kafka.common.security.scram.internals.ScramMechanism m = internal(u.mechanism());
            ScramCredential credential;
            try {
                ScramFormatter f = new ScramFormatter(m);
                credential = new ScramCredential(u.salt(), f.storedKey(f.clientKey(u.saltedPassword())),
                        f.serverKey(u.saltedPassword()), u.iterations());
            } catch (java.security.GeneralSecurityException e) {
                errors.put(u.name(), ApiError.fromThrowable(e));
                continue;
            }
            writes.add(credentials.set(u.name(), m, credential));
            out.results().add(new AlterUserScramCredentialsResult().setUser(u.name()));
        }
        errors.forEach((user, e) -> out.results().add(new AlterUserScramCredentialsResult().setUser(user)
                .setErrorCode(e.error().code()).setErrorMessage(e.message())));
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).thenApply(v -> out);
    }

    private static ApiError validate(String user, byte mechanism) {
        if (user.isEmpty()) {
            return new ApiError(Errors.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
        }
        if (ScramMechanism.fromType(mechanism) == ScramMechanism.UNKNOWN) {
            return new ApiError(Errors.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
        }
        return ApiError.NONE;
    }

    private static org.apache.kafka.common.security.scram.internals.ScramMechanism internal(byte type) {
        return org.apache.kafka.common.security.scram.internals.ScramMechanism.forMechanismName(
                ScramMechanism.fromType(type).mechanismName());
    }
}
