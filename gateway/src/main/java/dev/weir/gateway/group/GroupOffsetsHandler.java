package dev.weir.gateway.group;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.security.Access;
import dev.weir.gateway.txn.TransactionCoordinator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartitionCollection;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopic;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartition;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopic;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;
import org.apache.kafka.common.resource.ResourceType;

/** Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete, and TxnOffsetCommit (staged in a transaction). */
public final class GroupOffsetsHandler implements ApiHandler {
    /** Kafka's offset.metadata.max.bytes default. */
    static final int MAX_METADATA_BYTES = 4096;

    private final GroupCoordinator coordinator;
    private final ConsumerGroups consumerGroups;
    private final CommittedOffsets offsets;
    private final TopicCatalog catalog;
    private final TransactionCoordinator transactions;
    private final Access access;

    public GroupOffsetsHandler(GroupCoordinator coordinator, ConsumerGroups consumerGroups, CommittedOffsets offsets,
                               TopicCatalog catalog, TransactionCoordinator transactions, Access access) {
        this.access = access;
        this.coordinator = coordinator;
        this.consumerGroups = consumerGroups;
        this.offsets = offsets;
        this.catalog = catalog;
        this.transactions = transactions;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.OFFSET_COMMIT, 2, 10),
                ApiSupport.of(ApiKeys.OFFSET_FETCH, 1, 10),
                ApiSupport.of(ApiKeys.OFFSET_DELETE, 0, 0),
                ApiSupport.of(ApiKeys.TXN_OFFSET_COMMIT, 0, 6));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        // As Kafka: committing needs READ on the group (and, in a transaction, WRITE on the transactional
        // id first), fetching DESCRIBE, deleting DELETE; each topic then needs READ (DESCRIBE to fetch).
        if (request instanceof OffsetCommitRequest r) {
            if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, r.data().groupId())) {
                return CompletableFuture.completedFuture(r.getErrorResponse(Errors.GROUP_AUTHORIZATION_FAILED.exception()));
            }
            return commit(context, r.data(), request.version());
        }
        if (request instanceof TxnOffsetCommitRequest r) {
            if (!access.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, r.data().transactionalId())) {
                return CompletableFuture.completedFuture(r.getErrorResponse(
                        Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.exception()));
            }
            if (!access.allowed(context, AclOperation.READ, ResourceType.GROUP, r.data().groupId())) {
                return CompletableFuture.completedFuture(r.getErrorResponse(Errors.GROUP_AUTHORIZATION_FAILED.exception()));
            }
            return txnCommit(context, r.data(), request.version());
        }
        if (request instanceof OffsetFetchRequest r) {
            if (request.version() < 8 && !access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP,
                    r.data().groupId())) {
                return CompletableFuture.completedFuture(r.getErrorResponse(0, Errors.GROUP_AUTHORIZATION_FAILED.exception()));
            }
            return CompletableFuture.completedFuture(fetch(context, r.data(), request.version()));
        }
        OffsetDeleteRequest d = (OffsetDeleteRequest) request;
        if (!access.allowed(context, AclOperation.DELETE, ResourceType.GROUP, d.data().groupId())) {
            return CompletableFuture.completedFuture(d.getErrorResponse(0, Errors.GROUP_AUTHORIZATION_FAILED.exception()));
        }
        return delete(context, d.data());
    }

    private CompletableFuture<AbstractResponse> commit(RequestContext context, OffsetCommitRequestData data,
                                                       short version) {
        // From v10 topics are named by id. Each is resolved once, for the epoch check and the commit.
        List<Optional<TopicMeta>> topics = new ArrayList<>();
        Map<Uuid, Set<Integer>> named = new HashMap<>();
        for (OffsetCommitRequestTopic t : data.topics()) {
            Optional<TopicMeta> topic = version >= 10 ? catalog.byId(t.topicId()) : catalog.byName(t.name());
            topics.add(topic);
            name(named, topic, t.partitions().stream().map(OffsetCommitRequestPartition::partitionIndex));
        }
        Errors groupError = consumerGroups.validateOffsets(data.groupId(), data.memberId(),
                data.generationIdOrMemberEpoch(), false, named).orElseGet(() -> coordinator.validateCommit(
                data.groupId(), data.memberId(), data.groupInstanceId(), data.generationIdOrMemberEpoch()));
        Set<String> readable = readable(context, topics, data.topics().stream().map(OffsetCommitRequestTopic::name).toList());
        OffsetCommitResponseData out = new OffsetCommitResponseData();
        Map<TopicPartition, CommittedOffsets.Committed> accepted = new LinkedHashMap<>();
        List<OffsetCommitResponsePartition> pending = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < data.topics().size(); i++) {
            OffsetCommitRequestTopic t = data.topics().get(i);
            OffsetCommitResponseTopic rt = new OffsetCommitResponseTopic().setName(t.name()).setTopicId(t.topicId());
            out.topics().add(rt);
            Optional<TopicMeta> topic = topics.get(i);
            for (OffsetCommitRequestPartition p : t.partitions()) {
                OffsetCommitResponsePartition rp = new OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                rt.partitions().add(rp);
                Errors e = unreadable(topic, t.name(), version >= 10, readable) ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : groupError != Errors.NONE ? groupError
                        : partitionError(topic, p.partitionIndex(), p.committedMetadata(), version >= 10);
                rp.setErrorCode(e.code());
                if (e == Errors.NONE) {
                    accepted.put(new TopicPartition(topic.get().name(), p.partitionIndex()), new CommittedOffsets.Committed(
                            topic.get().id(), p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now));
                    pending.add(rp);
                }
            }
        }
        return offsets.commit(data.groupId(), accepted).handle((v, failure) -> {
            if (failure != null) {
                pending.forEach(rp -> rp.setErrorCode(KafkaErrors.of(failure).code()));
            }
            return new OffsetCommitResponse(out);
        });
    }

    /** The topics of a commit (resolved, or named) the principal may READ. */
    private Set<String> readable(RequestContext context, List<Optional<TopicMeta>> topics, List<String> names) {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < topics.size(); i++) {
            String name = topics.get(i).map(TopicMeta::name).orElse(names.get(i));
            if (name != null && !name.isEmpty()) {
                all.add(name);
            }
        }
        return access.filter(context, AclOperation.READ, ResourceType.TOPIC, all, true);
    }

    /** As Kafka: a topic named by an unknown id is UNKNOWN_TOPIC_ID; any other is checked for READ first. */
    private static boolean unreadable(Optional<TopicMeta> topic, String name, boolean byId, Set<String> readable) {
        if (topic.isEmpty() && byId) {
            return false;
        }
        return !readable.contains(topic.map(TopicMeta::name).orElse(name));
    }

    /** Adds a commit's partitions of a known topic, by topic id, to those the member-epoch check weighs. */
    private static void name(Map<Uuid, Set<Integer>> into, Optional<TopicMeta> topic, Stream<Integer> partitions) {
        topic.ifPresent(t -> partitions.forEach(p -> into.computeIfAbsent(t.id(), x -> new HashSet<>()).add(p)));
    }

    /** Why one partition's offset cannot be committed (NONE if it can): its topic, partition and metadata. */
    private static Errors partitionError(Optional<TopicMeta> topic, int partition, String metadata, boolean byId) {
        if (topic.isEmpty()) {
            return byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (partition < 0 || partition >= topic.get().partitions()) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (metadata != null && metadata.length() > MAX_METADATA_BYTES) {
            return Errors.OFFSET_METADATA_TOO_LARGE;
        }
        return Errors.NONE;
    }

    /**
     * TxnOffsetCommit: offsets staged in the producer's transaction, applied if it commits. A member
     * committing in its group's name must be current, as for OffsetCommit.
     */
    private CompletableFuture<AbstractResponse> txnCommit(RequestContext context, TxnOffsetCommitRequestData data,
                                                          short version) {
        // From v6 topics are named by id. Each is resolved once, for the epoch check and the commit.
        List<Optional<TopicMeta>> topics = new ArrayList<>();
        Map<Uuid, Set<Integer>> named = new HashMap<>();
        for (TxnOffsetCommitRequestTopic t : data.topics()) {
            Optional<TopicMeta> topic = version >= 6 ? catalog.byId(t.topicId()) : catalog.byName(t.name());
            topics.add(topic);
            name(named, topic, t.partitions().stream().map(TxnOffsetCommitRequestPartition::partitionIndex));
        }
        Errors groupError = Errors.NONE;
        boolean member = version >= 3 && data.memberId() != null && !data.memberId().isEmpty();
        if (member) {
            groupError = consumerGroups.validateOffsets(data.groupId(), data.memberId(),
                    data.generationIdOrMemberEpoch(), false, named).orElseGet(() -> coordinator.validateCommit(data.groupId(),
                    data.memberId(), data.groupInstanceId(), data.generationIdOrMemberEpoch()));
        }
        Set<String> readable = readable(context, topics, data.topics().stream().map(TxnOffsetCommitRequestTopic::name).toList());
        TxnOffsetCommitResponseData out = new TxnOffsetCommitResponseData();
        Map<TopicPartition, CommittedOffsets.Committed> staged = new LinkedHashMap<>();
        List<TxnOffsetCommitResponsePartition> accepted = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < data.topics().size(); i++) {
            TxnOffsetCommitRequestTopic t = data.topics().get(i);
            TxnOffsetCommitResponseTopic rt = new TxnOffsetCommitResponseTopic().setName(t.name()).setTopicId(t.topicId());
            out.topics().add(rt);
            Optional<TopicMeta> topic = topics.get(i);
            for (TxnOffsetCommitRequestPartition p : t.partitions()) {
                Errors e = unreadable(topic, t.name(), version >= 6, readable) ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : groupError != Errors.NONE ? groupError
                        : partitionError(topic, p.partitionIndex(), p.committedMetadata(), version >= 6);
                TxnOffsetCommitResponsePartition rp = new TxnOffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(e.code());
                rt.partitions().add(rp);
                if (e == Errors.NONE) {
                    staged.put(new TopicPartition(topic.get().name(), p.partitionIndex()), new CommittedOffsets.Committed(
                            topic.get().id(), p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now));
                    accepted.add(rp);
                }
            }
        }
        if (staged.isEmpty()) {
            return CompletableFuture.completedFuture(new TxnOffsetCommitResponse(out));
        }
        // v5+ is transactions V2: the commit adds the group to the transaction itself (no AddOffsetsToTxn).
        return transactions.stageOffsets(data.transactionalId(), data.producerId(), data.producerEpoch(), data.groupId(),
                staged, version >= 5).handle((e, failure) -> {
                    Errors result = failure != null ? KafkaErrors.of(failure)
                            : e == Errors.PRODUCER_FENCED && version < 2 ? Errors.INVALID_PRODUCER_EPOCH : e;
                    if (result == Errors.NONE && !consumerGroups.exists(data.groupId())) {
                        coordinator.ensureGroup(data.groupId());
                    }
                    accepted.forEach(rp -> rp.setErrorCode(result.code()));
                    return new TxnOffsetCommitResponse(out);
                });
    }

    private AbstractResponse fetch(RequestContext context, OffsetFetchRequestData data, short version) {
        if (version < 8) {
            List<TopicPartition> wanted = null;
            if (data.topics() != null) {
                wanted = new ArrayList<>();
                for (OffsetFetchRequestTopic t : data.topics()) {
                    for (int p : t.partitionIndexes()) {
                        wanted.add(new TopicPartition(t.name(), p));
                    }
                }
            }
            OffsetFetchResponseData out = new OffsetFetchResponseData().setErrorCode(Errors.NONE.code());
            Map<String, OffsetFetchResponseTopic> topics = new LinkedHashMap<>();
            boolean requireStable = data.requireStable();
            Map<TopicPartition, CommittedOffsets.Committed> found = lookup(data.groupId(), wanted);
            boolean named = wanted != null;
            Set<String> describable = describable(context, found.keySet(), named);
            found.forEach((tp, c) -> {
                if (!describable.contains(tp.topic())) {
                    if (named) {
                        topics.computeIfAbsent(tp.topic(), n -> {
                            OffsetFetchResponseTopic t = new OffsetFetchResponseTopic().setName(n);
                            out.topics().add(t);
                            return t;
                        }).partitions().add(new OffsetFetchResponsePartition().setPartitionIndex(tp.partition())
                                .setCommittedOffset(-1).setCommittedLeaderEpoch(-1).setMetadata("")
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                    }
                    return;
                }
                boolean unstable = requireStable && transactions.hasPendingOffsets(data.groupId(), List.of(tp));
                topics.computeIfAbsent(tp.topic(), n -> {
                    OffsetFetchResponseTopic t = new OffsetFetchResponseTopic().setName(n);
                    out.topics().add(t);
                    return t;
                }).partitions().add(new OffsetFetchResponsePartition().setPartitionIndex(tp.partition())
                        .setCommittedOffset(unstable ? -1 : c.offset()).setCommittedLeaderEpoch(c.leaderEpoch())
                        .setMetadata(c.metadata())
                        .setErrorCode((unstable ? Errors.UNSTABLE_OFFSET_COMMIT : Errors.NONE).code()));
            });
            return new OffsetFetchResponse(out, version);
        }
        OffsetFetchResponseData out = new OffsetFetchResponseData();
        for (OffsetFetchRequestGroup g : data.groups()) {
            OffsetFetchResponseGroup rg = new OffsetFetchResponseGroup().setGroupId(g.groupId())
                    .setErrorCode(Errors.NONE.code());
            out.groups().add(rg);
            if (!access.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId())) {
                rg.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code());
                continue;
            }
            Errors groupError = version >= 9 ? consumerGroups.validateOffsets(g.groupId(), g.memberId(), g.memberEpoch(),
                    true).orElse(Errors.NONE) : Errors.NONE;
            if (groupError != Errors.NONE) {
                rg.setErrorCode(groupError.code());
                continue;
            }
            List<TopicPartition> wanted = null;
            Map<String, OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
            if (g.topics() != null) {
                wanted = new ArrayList<>();
                for (OffsetFetchRequestTopics t : g.topics()) {
                    // From v10 topics are named by id; an unknown id is answered per partition.
                    Optional<String> name = version >= 10 ? catalog.byId(t.topicId()).map(TopicMeta::name)
                            : Optional.of(t.name());
                    if (name.isEmpty()) {
                        OffsetFetchResponseTopics rt = new OffsetFetchResponseTopics().setTopicId(t.topicId());
                        rg.topics().add(rt);
                        for (int p : t.partitionIndexes()) {
                            rt.partitions().add(new OffsetFetchResponsePartitions().setPartitionIndex(p)
                                    .setCommittedOffset(-1).setMetadata("").setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                        }
                        continue;
                    }
                    for (int p : t.partitionIndexes()) {
                        wanted.add(new TopicPartition(name.get(), p));
                    }
                }
            }
            // require_stable: a partition whose offset an open transaction is about to change has none yet.
            boolean requireStable = data.requireStable();
            Map<TopicPartition, CommittedOffsets.Committed> found = lookup(g.groupId(), wanted);
            Set<String> describable = describable(context, found.keySet(), wanted != null);
            boolean named = wanted != null;
            found.forEach((tp, c) -> {
                if (!describable.contains(tp.topic())) {
                    if (named) {
                        topics.computeIfAbsent(tp.topic(), n -> {
                            OffsetFetchResponseTopics t = new OffsetFetchResponseTopics().setName(n)
                                    .setTopicId(catalog.byName(n).map(TopicMeta::id).orElse(Uuid.ZERO_UUID));
                            rg.topics().add(t);
                            return t;
                        }).partitions().add(new OffsetFetchResponsePartitions().setPartitionIndex(tp.partition())
                                .setCommittedOffset(-1).setCommittedLeaderEpoch(-1).setMetadata("")
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                    }
                    return;
                }
                boolean unstable = requireStable && transactions.hasPendingOffsets(g.groupId(), List.of(tp));
                topics.computeIfAbsent(tp.topic(), n -> {
                    OffsetFetchResponseTopics t = new OffsetFetchResponseTopics().setName(n)
                            .setTopicId(catalog.byName(n).map(TopicMeta::id).orElse(Uuid.ZERO_UUID));
                    rg.topics().add(t);
                    return t;
                }).partitions().add(new OffsetFetchResponsePartitions().setPartitionIndex(tp.partition())
                        .setCommittedOffset(unstable ? -1 : c.offset()).setCommittedLeaderEpoch(c.leaderEpoch())
                        .setMetadata(c.metadata())
                        .setErrorCode((unstable ? Errors.UNSTABLE_OFFSET_COMMIT : Errors.NONE).code()));
            });
        }
        return new OffsetFetchResponse(out, version);
    }

    /** The topics of {@code partitions} the principal may DESCRIBE; a denial is logged when they were named. */
    private Set<String> describable(RequestContext context, Set<TopicPartition> partitions, boolean named) {
        return access.filter(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                partitions.stream().map(TopicPartition::topic).toList(), named);
    }

    /** Committed offsets of the wanted partitions (all of the group's when null); -1 where none is committed. */
    private Map<TopicPartition, CommittedOffsets.Committed> lookup(String groupId, List<TopicPartition> wanted) {
        Map<TopicPartition, CommittedOffsets.Committed> committed = offsets.of(groupId);
        Map<TopicPartition, CommittedOffsets.Committed> out = new LinkedHashMap<>();
        if (wanted == null) {
            Map<TopicPartition, CommittedOffsets.Committed> sorted = new TreeMap<>(
                    java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
            sorted.putAll(committed);
            sorted.forEach((tp, c) -> {
                if (current(tp, c)) {
                    out.put(tp, withMetadata(c));
                }
            });
            return out;
        }
        for (TopicPartition tp : wanted) {
            CommittedOffsets.Committed c = committed.get(tp);
            out.put(tp, c == null || !current(tp, c) ? new CommittedOffsets.Committed(null, -1, -1, "", -1) : withMetadata(c));
        }
        return out;
    }

    /** Whether the offset was committed for the topic of that name that exists now (not a deleted one). */
    private boolean current(TopicPartition tp, CommittedOffsets.Committed c) {
        return catalog.byName(tp.topic()).map(t -> t.id().equals(c.topicId()) && tp.partition() < t.partitions())
                .orElse(false);
    }

    private static CommittedOffsets.Committed withMetadata(CommittedOffsets.Committed c) {
        return c.metadata() != null ? c
                : new CommittedOffsets.Committed(c.topicId(), c.offset(), c.leaderEpoch(), "", c.commitTimestamp());
    }

    private CompletableFuture<AbstractResponse> delete(RequestContext context, OffsetDeleteRequestData data) {
        OffsetDeleteResponseData out = new OffsetDeleteResponseData();
        if (!coordinator.exists(data.groupId()) && !consumerGroups.exists(data.groupId())
                && offsets.of(data.groupId()).isEmpty()) {
            return CompletableFuture.completedFuture(new OffsetDeleteResponse(
                    out.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())));
        }
        Set<String> subscribed = new java.util.HashSet<>(coordinator.subscribedTopics(data.groupId()));
        subscribed.addAll(consumerGroups.subscribedTopicNames(data.groupId()));
        List<TopicPartition> gone = new ArrayList<>();
        Set<String> readable = access.filter(context, AclOperation.READ, ResourceType.TOPIC,
                data.topics().stream().map(OffsetDeleteRequestTopic::name).toList(), true);
        for (OffsetDeleteRequestTopic t : data.topics()) {
            OffsetDeleteResponseTopic rt = new OffsetDeleteResponseTopic().setName(t.name());
            out.topics().add(rt);
            OffsetDeleteResponsePartitionCollection partitions = rt.partitions();
            for (OffsetDeleteRequestPartition p : t.partitions()) {
                Errors e = !readable.contains(t.name()) ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : subscribed.contains(t.name()) ? Errors.GROUP_SUBSCRIBED_TO_TOPIC
                        : catalog.byName(t.name()).isEmpty() ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.NONE;
                partitions.add(new OffsetDeleteResponsePartition().setPartitionIndex(p.partitionIndex())
                        .setErrorCode(e.code()));
                if (e == Errors.NONE) {
                    gone.add(new TopicPartition(t.name(), p.partitionIndex()));
                }
            }
        }
        if (gone.isEmpty()) {
            return CompletableFuture.completedFuture(new OffsetDeleteResponse(out));
        }
        return offsets.delete(data.groupId(), gone).handle((v, failure) -> {
            if (failure != null) {
                out.setErrorCode(KafkaErrors.of(failure).code());
            }
            return new OffsetDeleteResponse(out);
        });
    }
}
