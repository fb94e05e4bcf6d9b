package dev.weir.gateway.group;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import dev.weir.gateway.share.SharePartitions;
import dev.weir.storage.SegmentStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.AlterShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/** Share-group offsets (KIP-932): DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets. */
public final class ShareOffsetsHandler implements ApiHandler {
    private static final long UNINITIALIZED = -1;

    private final ShareGroups groups;
    private final SharePartitions partitions;
    private final TopicCatalog catalog;
    private final SegmentStore store;
    private final Access access;

    public ShareOffsetsHandler(ShareGroups groups, SharePartitions partitions, TopicCatalog catalog, SegmentStore store,
                               Access access) {
        this.groups = groups;
        this.partitions = partitions;
        this.catalog = catalog;
        this.store = store;
        this.access = access;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, 0, 1),
                ApiSupport.of(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, 0, 0),
                ApiSupport.of(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, 0, 0));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof DescribeShareGroupOffsetsRequest r) {
            return describe(context, r);
        }
        if (request instanceof AlterShareGroupOffsetsRequest r) {
            return alter(context, r.data());
        }
        return delete(context, ((DeleteShareGroupOffsetsRequest) request).data());
    }

    // ---------------------------------------------------------------- describe

    private CompletableFuture<AbstractResponse> describe(RequestContext context, DescribeShareGroupOffsetsRequest r) {
        DescribeShareGroupOffsetsResponseData out = new DescribeShareGroupOffsetsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup g : r.data().groups()) {
            DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup rg =
                    new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup()
                            .setGroupId(g.groupId());
            out.groups().add(rg);
            if (!access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId())) {
                rg.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message());
                continue;
            }
            if (!groups.exists(g.groupId())) {
                rg.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                        .setErrorMessage("Group " + g.groupId() + " not found.");
                continue;
            }
            // Null topics: every partition the group has share state for.
            Map<String, List<Integer>> wanted = new LinkedHashMap<>();
            if (g.topics() == null) {
                for (SharePartitions.Key k : partitions.keys(g.groupId())) {
                    catalog.byId(k.topicId()).ifPresent(t -> wanted.computeIfAbsent(t.name(), n -> new ArrayList<>())
                            .add(k.partition()));
                }
            } else {
                g.topics().forEach(t -> wanted.put(t.topicName(), t.partitions()));
            }
            List<String> names = new ArrayList<>(wanted.keySet());
            Set<String> readable = access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC, names, true);
            wanted.forEach((name, ps) -> {
                DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic rt =
                        new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic()
                                .setTopicName(name).setTopicId(Uuid.ZERO_UUID);
                rg.topics().add(rt);
                Optional<TopicMeta> topic = catalog.byName(name);
                topic.ifPresent(t -> rt.setTopicId(t.id()));
                for (int p : ps) {
                    DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition rp =
                            new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition()
                                    .setPartitionIndex(p).setStartOffset(UNINITIALIZED).setLeaderEpoch(-1).setLag(-1);
                    rt.partitions().add(rp);
                    if (!readable.contains(name)) {
                        rp.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                                .setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message());
                        continue;
                    }
                    if (topic.isEmpty() || p < 0 || p >= topic.get().partitions()) {
                        continue; // as Kafka: no data rather than an error
                    }
                    Optional<long[]> state = partitions.offsets(new SharePartitions.Key(g.groupId(), topic.get().id(), p));
                    if (state.isEmpty()) {
                        continue;
                    }
                    long start = state.get()[0];
                    long done = state.get()[1];
                    rp.setStartOffset(start).setLeaderEpoch(0);
                    // Lag: records at or past the start not yet acknowledged or archived.
                    all.add(store.getInfo(topic.get().segment(p)).thenAccept(info ->
                            rp.setLag(Math.max(0, info.nextOffset() - start - done))));
                }
            });
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> new DescribeShareGroupOffsetsResponse(out));
    }

    // ---------------------------------------------------------------- alter

    private CompletableFuture<AbstractResponse> alter(RequestContext context, AlterShareGroupOffsetsRequestData d) {
        AlterShareGroupOffsetsResponseData out = new AlterShareGroupOffsetsResponseData();
        if (d.groupId() == null || d.groupId().isEmpty()) {
            return done(new AlterShareGroupOffsetsResponse(out.setErrorCode(Errors.INVALID_GROUP_ID.code())
                    .setErrorMessage(Errors.INVALID_GROUP_ID.message())));
        }
        if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, d.groupId())) {
            return done(new AlterShareGroupOffsetsResponse(out.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message())));
        }
        Errors groupError = notEmpty(d.groupId());
        if (groupError != Errors.NONE) {
            return done(new AlterShareGroupOffsetsResponse(out.setErrorCode(groupError.code())
                    .setErrorMessage(groupError.message())));
        }
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        writes.add(groups.ensure(d.groupId()));
        for (AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic t : d.topics()) {
            AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponseTopic rt =
                    new AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponseTopic().setTopicName(t.topicName());
            out.responses().add(rt);
            Optional<TopicMeta> topic = catalog.byName(t.topicName());
            boolean readable = access.allowed(context, AclOperation.READ, ResourceType.TOPIC, t.topicName());
            topic.ifPresent(m -> rt.setTopicId(m.id()));
            for (AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestPartition p : t.partitions()) {
                AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponsePartition rp =
                        new AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponsePartition()
                                .setPartitionIndex(p.partitionIndex());
                rt.partitions().add(rp);
                Errors e = !readable ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()
                        ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.NONE;
                rp.setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : e.message());
                if (e == Errors.NONE) {
                    writes.add(partitions.reset(new SharePartitions.Key(d.groupId(), topic.get().id(), p.partitionIndex()),
                            p.startOffset()));
                }
            }
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .thenApply(v -> new AlterShareGroupOffsetsResponse(out));
    }

    // ---------------------------------------------------------------- delete

    private CompletableFuture<AbstractResponse> delete(RequestContext context, DeleteShareGroupOffsetsRequestData d) {
        DeleteShareGroupOffsetsResponseData out = new DeleteShareGroupOffsetsResponseData();
        if (d.groupId() == null || d.groupId().isEmpty()) {
            return done(new DeleteShareGroupOffsetsResponse(out.setErrorCode(Errors.INVALID_GROUP_ID.code())
                    .setErrorMessage(Errors.INVALID_GROUP_ID.message())));
        }
        if (!access.allowed(context, AclOperation.DELETE, ResourceType.GROUP, d.groupId())) {
            return done(new DeleteShareGroupOffsetsResponse(out.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message())));
        }
        if (!groups.exists(d.groupId())) {
            return done(new DeleteShareGroupOffsetsResponse(out.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                    .setErrorMessage("Group " + d.groupId() + " not found.")));
        }
        Errors groupError = notEmpty(d.groupId());
        if (groupError != Errors.NONE) {
            return done(new DeleteShareGroupOffsetsResponse(out.setErrorCode(groupError.code())
                    .setErrorMessage(groupError.message())));
        }
        Set<SharePartitions.Key> keys = partitions.keys(d.groupId());
        Set<SharePartitions.Key> drop = new TreeSet<>(java.util.Comparator.comparing((SharePartitions.Key k) ->
                k.topicId().toString()).thenComparingInt(SharePartitions.Key::partition));
        for (DeleteShareGroupOffsetsRequestData.DeleteShareGroupOffsetsRequestTopic t : d.topics()) {
            DeleteShareGroupOffsetsResponseData.DeleteShareGroupOffsetsResponseTopic rt =
                    new DeleteShareGroupOffsetsResponseData.DeleteShareGroupOffsetsResponseTopic().setTopicName(t.topicName());
            out.responses().add(rt);
            Optional<TopicMeta> topic = catalog.byName(t.topicName());
            Errors e = !access.allowed(context, AclOperation.READ, ResourceType.TOPIC, t.topicName())
                    ? Errors.TOPIC_AUTHORIZATION_FAILED : topic.isEmpty() ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.NONE;
            rt.setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : e.message());
            if (topic.isPresent()) {
                rt.setTopicId(topic.get().id());
                if (e == Errors.NONE) {
                    keys.stream().filter(k -> k.topicId().equals(topic.get().id())).forEach(drop::add);
                }
            }
        }
        return partitions.delete(d.groupId(), drop).thenApply(v -> new DeleteShareGroupOffsetsResponse(out));
    }

    /** As Kafka: a share group's offsets move only while it has no members. */
    private Errors notEmpty(String groupId) {
        return groups.isEmpty(groupId).orElse(true) ? Errors.NONE : Errors.NON_EMPTY_GROUP;
    }

    private static CompletableFuture<AbstractResponse> done(AbstractResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
