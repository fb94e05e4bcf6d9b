package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiRegistry;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaEmulation;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * ApiVersions: advertises exactly what the registry serves. A request at a version newer than ours
 * is answered, as Kafka does, with UNSUPPORTED_VERSION in a v0 body listing our ApiVersions range,
 * so the client retries lower. Emulating a Kafka release, the features are that release's.
 */
public final class ApiVersionsHandler implements ApiHandler {
    static final String GROUP_VERSION = "group.version";
    static final String TRANSACTION_VERSION = "transaction.version";
    static final String SHARE_VERSION = "share.version";
    /** Weir's features never change while it runs. */
    private static final long FEATURES_EPOCH = 1;

    private final ApiRegistry registry;

    /** The finalized transaction.version: 2, or 1 in a cluster (see {@link #ApiVersionsHandler(ApiRegistry, short)}). */
    private final short transactionVersion;

    public ApiVersionsHandler(ApiRegistry registry) {
        this(registry, (short) 2);
    }

    /**
     * In a cluster transaction.version is finalized at 1: producers add partitions to their
     * transaction at the coordinator (AddPartitionsToTxn) rather than through the partition
     * leader's Produce (v12+), which on another node than the coordinator could not add them.
     */
    public ApiVersionsHandler(ApiRegistry registry, short transactionVersion) {
        this.registry = registry;
        this.transactionVersion = transactionVersion;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.API_VERSIONS, 0, 5));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        ApiVersionsRequest req = (ApiVersionsRequest) request;
        ApiSupport ours = registry.support(ApiKeys.API_VERSIONS);
        if (req.hasUnsupportedRequestVersion() || !ours.supports(context.header.apiVersion())) {
            ApiVersionCollection keys = new ApiVersionCollection();
            keys.add(new ApiVersionsResponseData.ApiVersion().setApiKey(ApiKeys.API_VERSIONS.id)
                    .setMinVersion(ours.minVersion()).setMaxVersion(ours.maxVersion()));
            return CompletableFuture.completedFuture(new ApiVersionsResponse(new ApiVersionsResponseData()
                    .setErrorCode(Errors.UNSUPPORTED_VERSION.code()).setApiKeys(keys)));
        }
        if (!req.isValid()) {
            return CompletableFuture.completedFuture(req.getErrorResponse(0, Errors.INVALID_REQUEST.exception()));
        }
        ApiVersionsResponseData data = new ApiVersionsResponseData()
                .setErrorCode(Errors.NONE.code())
                .setApiKeys(registry.advertised());
        KafkaEmulation emulation = registry.emulation();
        if (emulation.active()) {
            for (KafkaEmulation.Feature f : emulation.features()) {
                data.supportedFeatures().add(new ApiVersionsResponseData.SupportedFeatureKey()
                        .setName(f.name()).setMinVersion(f.minVersion()).setMaxVersion(f.maxVersion()));
                f.finalizedLevel().ifPresent(level -> data.finalizedFeatures().add(
                        new ApiVersionsResponseData.FinalizedFeatureKey()
                                .setName(f.name()).setMinVersionLevel(level).setMaxVersionLevel(level)));
            }
        } else {
            addWeirFeatures(data, transactionVersion);
        }
        data.setFinalizedFeaturesEpoch(FEATURES_EPOCH);
        return CompletableFuture.completedFuture(new ApiVersionsResponse(data));
    }

    private static void addWeirFeatures(ApiVersionsResponseData data, short transactionVersion) {
        // Features Weir implements, each finalized at its highest level: group.version 1 is the
        // KIP-848 consumer protocol (ConsumerGroupHeartbeat and ConsumerGroupDescribe).
        data.supportedFeatures().add(new ApiVersionsResponseData.SupportedFeatureKey()
                .setName(GROUP_VERSION).setMinVersion((short) 0).setMaxVersion((short) 1));
        data.finalizedFeatures().add(new ApiVersionsResponseData.FinalizedFeatureKey()
                .setName(GROUP_VERSION).setMinVersionLevel((short) 1).setMaxVersionLevel((short) 1));
        // transaction.version 2 is KIP-890's transactions: partitions added by Produce v12+, the group
        // by TxnOffsetCommit v5+, and a new epoch at every EndTxn (v5).
        data.supportedFeatures().add(new ApiVersionsResponseData.SupportedFeatureKey()
                .setName(TRANSACTION_VERSION).setMinVersion((short) 0).setMaxVersion((short) 2));
        data.finalizedFeatures().add(new ApiVersionsResponseData.FinalizedFeatureKey()
                .setName(TRANSACTION_VERSION).setMinVersionLevel(transactionVersion).setMaxVersionLevel(transactionVersion));
        // share.version 1 is KIP-932's share groups (ShareGroupHeartbeat, ShareFetch, ShareAcknowledge, …).
        data.supportedFeatures().add(new ApiVersionsResponseData.SupportedFeatureKey()
                .setName(SHARE_VERSION).setMinVersion((short) 0).setMaxVersion((short) 1));
        data.finalizedFeatures().add(new ApiVersionsResponseData.FinalizedFeatureKey()
                .setName(SHARE_VERSION).setMinVersionLevel((short) 1).setMaxVersionLevel((short) 1));
    }
}
