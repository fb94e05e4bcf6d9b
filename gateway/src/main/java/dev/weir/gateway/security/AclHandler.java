package dev.weir.gateway.security;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.CreateAclsResponse;
import org.apache.kafka.common.requests.DeleteAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.utils.internals.SecurityUtils;

/**
 * CreateAcls, DescribeAcls and DeleteAcls, checked as Kafka's broker and controller check them
 * (ALTER on the cluster to change ACLs, DESCRIBE to list them; SECURITY_DISABLED without an
 * authorizer), kept in the {@link AclStore}.
 */
public final class AclHandler implements ApiHandler {
    private final Access access;
    private final AclStore store;

    /** {@code store} is null when no authorizer is configured. */
    public AclHandler(Access access, AclStore store) {
        this.access = access;
        this.store = store;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(support(ApiKeys.DESCRIBE_ACLS), support(ApiKeys.CREATE_ACLS), support(ApiKeys.DELETE_ACLS));
    }

    private static ApiSupport support(ApiKeys key) {
        return ApiSupport.of(key, key.oldestVersion(), key.latestVersion());
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (store == null) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0,
                    new SecurityDisabledException("No Authorizer is configured.")));
        }
        if (request instanceof DescribeAclsRequest describe) {
            if (!access.allowedOnCluster(context, AclOperation.DESCRIBE)) {
                return CompletableFuture.completedFuture(describe.getErrorResponse(0, new ClusterAuthorizationException(
                        "Request " + context.header + " is not authorized.")));
            }
            List<AclBinding> found = store.matching(describe.filter());
            return CompletableFuture.completedFuture(new DescribeAclsResponse(new DescribeAclsResponseData()
                    .setResources(DescribeAclsResponse.aclsResources(found)), describe.version()));
        }
        if (!access.allowedOnCluster(context, AclOperation.ALTER)) {
            return CompletableFuture.completedFuture(request.getErrorResponse(0, new ClusterAuthorizationException(
                    "Request " + context.header + " is not authorized.")));
        }
        if (request instanceof CreateAclsRequest create) {
            return create(create);
        }
        return delete((DeleteAclsRequest) request);
    }

    private CompletableFuture<AbstractResponse> create(CreateAclsRequest request) {
        List<CompletableFuture<CreateAclsResponseData.AclCreationResult>> results = new ArrayList<>();
        for (var creation : request.data().creations()) {
            CreateAclsResponseData.AclCreationResult result = new CreateAclsResponseData.AclCreationResult();
            AclBinding binding;
            try {
                binding = CreateAclsRequest.aclBinding(creation);
                validate(binding);
            } catch (RuntimeException e) {
                ApiError error = ApiError.fromThrowable(e);
                results.add(CompletableFuture.completedFuture(result.setErrorCode(error.error().code())
                        .setErrorMessage(error.message())));
                continue;
            }
            results.add(store.add(binding).thenApply(v -> result));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v ->
                new CreateAclsResponse(new CreateAclsResponseData().setResults(results.stream().map(CompletableFuture::join).toList())));
    }

    /** Kafka's checks of a new ACL (the broker's, then the controller's), with its messages. */
    private static void validate(AclBinding binding) {
        var pattern = binding.pattern();
        var entry = binding.entry();
        if (pattern.resourceType() == ResourceType.CLUSTER && !pattern.name().equals(Access.CLUSTER)) {
            throw new InvalidRequestException("The only valid name for the CLUSTER resource is " + Access.CLUSTER);
        }
        if (pattern.name().isEmpty()) {
            throw new InvalidRequestException("Invalid empty resource name");
        }
        if (pattern.patternType() != PatternType.LITERAL && pattern.patternType() != PatternType.PREFIXED) {
            throw new InvalidRequestException("Invalid patternType " + pattern.patternType());
        }
        if (pattern.resourceType() == ResourceType.ANY || pattern.resourceType() == ResourceType.UNKNOWN) {
            throw new InvalidRequestException("Invalid resourceType " + pattern.resourceType());
        }
        if (entry.operation() == AclOperation.ANY || entry.operation() == AclOperation.UNKNOWN) {
            throw new InvalidRequestException("Invalid operation " + entry.operation());
        }
        if (entry.permissionType() == org.apache.kafka.common.acl.AclPermissionType.ANY
                || entry.permissionType() == org.apache.kafka.common.acl.AclPermissionType.UNKNOWN) {
            throw new InvalidRequestException("Invalid permissionType " + entry.permissionType());
        }
        if (entry.host() == null || entry.host().isEmpty()) {
            throw new InvalidRequestException("Invalid host " + entry.host());
        }
        KafkaPrincipal principal;
        try {
            principal = SecurityUtils.parseKafkaPrincipal(entry.principal());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        if (principal == null) {
            throw new InvalidRequestException("Invalid principal " + entry.principal());
        }
    }

    private CompletableFuture<AbstractResponse> delete(DeleteAclsRequest request) {
        List<CompletableFuture<DeleteAclsResponseData.DeleteAclsFilterResult>> results = new ArrayList<>();
        for (AclBindingFilter filter : request.filters()) {
            if (filter.patternFilter().isUnknown() || filter.entryFilter().isUnknown()) {
                results.add(CompletableFuture.completedFuture(new DeleteAclsResponseData.DeleteAclsFilterResult()
                        .setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage(filter.patternFilter().isUnknown() ? "Unknown patternFilter." : "Unknown entryFilter.")));
                continue;
            }
            results.add(store.remove(filter).thenApply(removed -> new DeleteAclsResponseData.DeleteAclsFilterResult()
                    .setMatchingAcls(removed.stream().map(b -> DeleteAclsResponse.matchingAcl(b, ApiError.NONE)).toList())));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v ->
                new DeleteAclsResponse(new DeleteAclsResponseData().setFilterResults(
                        results.stream().map(CompletableFuture::join).toList()), request.version()));
    }
}
