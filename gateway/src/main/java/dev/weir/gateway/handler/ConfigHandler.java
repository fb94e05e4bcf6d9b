package dev.weir.gateway.handler;

import dev.weir.gateway.api.ApiHandler;
import dev.weir.gateway.api.ApiSupport;
import dev.weir.gateway.api.KafkaErrors;
import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.catalog.TopicConfigs;
import dev.weir.gateway.catalog.TopicMeta;
import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.group.GroupConfigs;
import dev.weir.gateway.security.Access;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The configuration family: DescribeConfigs (topic and broker, with defaults, sources and
 * synonyms), AlterConfigs and IncrementalAlterConfigs (topics and groups; the broker's configuration is static).
 */
public final class ConfigHandler implements ApiHandler {
    private final TopicCatalog catalog;
    private final TopicConfigs topicConfigs;
    private final GatewayConfig brokerConfig;
    private final int nodeId;
    private final Access access;
    private final GroupConfigs groupConfigs;

    public ConfigHandler(TopicCatalog catalog, TopicConfigs topicConfigs, GroupConfigs groupConfigs,
                         GatewayConfig brokerConfig, int nodeId, Access access) {
        this.access = access;
        this.groupConfigs = groupConfigs;
        this.catalog = catalog;
        this.topicConfigs = topicConfigs;
        this.brokerConfig = brokerConfig;
        this.nodeId = nodeId;
    }

    @Override
    public List<ApiSupport> apis() {
        return List.of(ApiSupport.of(ApiKeys.DESCRIBE_CONFIGS, 1, 4),
                ApiSupport.of(ApiKeys.ALTER_CONFIGS, 0, 2),
                ApiSupport.of(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, 1));
    }

    @Override
    public CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request) {
        if (request instanceof DescribeConfigsRequest r) {
            return CompletableFuture.completedFuture(describe(context, r));
        }
        if (request instanceof AlterConfigsRequest r) {
            return alter(context, r);
        }
        return incrementalAlter(context, (IncrementalAlterConfigsRequest) request);
    }

    /**
     * As Kafka: a topic's configs need DESCRIBE_CONFIGS (ALTER_CONFIGS to change) on it, the broker's
     * on the cluster; the error, or NONE.
     */
    private Errors authorize(RequestContext context, byte resourceType, String name, AclOperation op) {
        ConfigResource.Type type = ConfigResource.Type.forId(resourceType);
        if (type == ConfigResource.Type.TOPIC) {
            return access.allowed(context, op, ResourceType.TOPIC, name) ? Errors.NONE : Errors.TOPIC_AUTHORIZATION_FAILED;
        }
        if (type == ConfigResource.Type.GROUP) {
            return access.allowed(context, op, ResourceType.GROUP, name) ? Errors.NONE : Errors.GROUP_AUTHORIZATION_FAILED;
        }
        if (type == ConfigResource.Type.BROKER || type == ConfigResource.Type.BROKER_LOGGER) {
            return access.allowedOnCluster(context, op) ? Errors.NONE : Errors.CLUSTER_AUTHORIZATION_FAILED;
        }
        return Errors.NONE;
    }

    static ConfigSource source(TopicConfigs.Source s) {
        return switch (s) {
            case DYNAMIC_TOPIC_CONFIG -> ConfigSource.TOPIC_CONFIG;
            case STATIC_BROKER_CONFIG -> ConfigSource.STATIC_BROKER_CONFIG;
            case DEFAULT_CONFIG -> ConfigSource.DEFAULT_CONFIG;
        };
    }

    static ConfigSource source(GroupConfigs.Source s) {
        return switch (s) {
            case GROUP_CONFIG -> ConfigSource.GROUP_CONFIG;
            case STATIC_BROKER_CONFIG -> ConfigSource.STATIC_BROKER_CONFIG;
            case DEFAULT_CONFIG -> ConfigSource.DEFAULT_CONFIG;
        };
    }

    private static ConfigType type(ConfigDef.Type t) {
        return switch (t) {
            case BOOLEAN -> ConfigType.BOOLEAN;
            case STRING -> ConfigType.STRING;
            case INT -> ConfigType.INT;
            case SHORT -> ConfigType.SHORT;
            case LONG -> ConfigType.LONG;
            case DOUBLE -> ConfigType.DOUBLE;
            case LIST -> ConfigType.LIST;
            case CLASS -> ConfigType.CLASS;
            case PASSWORD -> ConfigType.PASSWORD;
        };
    }

    private DescribeConfigsResponse describe(RequestContext context, DescribeConfigsRequest req) {
        boolean synonyms = req.data().includeSynonyms();
        boolean docs = req.data().includeDocumentation();
        DescribeConfigsResponseData data = new DescribeConfigsResponseData();
        for (DescribeConfigsResource r : req.data().resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(r.resourceType())
                    .setResourceName(r.resourceName()).setErrorCode(Errors.NONE.code());
            data.results().add(result);
            Errors denied = authorize(context, r.resourceType(), r.resourceName(), AclOperation.DESCRIBE_CONFIGS);
            if (denied != Errors.NONE) {
                result.setErrorCode(denied.code()).setErrorMessage(denied.message());
                continue;
            }
            ConfigResource.Type type = ConfigResource.Type.forId(r.resourceType());
            List<String> keys = r.configurationKeys();
            if (type == ConfigResource.Type.TOPIC) {
                Optional<TopicMeta> topic = catalog.byName(r.resourceName());
                if (topic.isEmpty()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("Topic '" + r.resourceName() + "' does not exist.");
                    continue;
                }
                for (TopicConfigs.Described d : topicConfigs.describe(topic.get())) {
                    if (keys != null && !keys.contains(d.name())) {
                        continue;
                    }
                    DescribeConfigsResourceResult e = new DescribeConfigsResourceResult().setName(d.name())
                            .setValue(d.value()).setReadOnly(false).setIsSensitive(false)
                            .setConfigSource(source(d.source()).id()).setConfigType(type(d.type()).id())
                            .setDocumentation(docs ? d.documentation() : null);
                    if (synonyms) {
                        for (TopicConfigs.Synonym s : d.synonyms()) {
                            e.synonyms().add(new DescribeConfigsSynonym().setName(s.name()).setValue(s.value())
                                    .setSource(source(s.source()).id()));
                        }
                    }
                    result.configs().add(e);
                }
            } else if (type == ConfigResource.Type.BROKER) {
                if (!r.resourceName().isEmpty() && !r.resourceName().equals(String.valueOf(nodeId))) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Unexpected broker id, expected "
                            + nodeId + " or empty string, but received " + r.resourceName());
                    continue;
                }
                Map<String, ?> originals = brokerConfig.originals();
                for (ConfigDef.ConfigKey key : GatewayConfig.DEFINITION.configKeys().values()) {
                    if (keys != null && !keys.contains(key.name)) {
                        continue;
                    }
                    Object value = brokerConfig.allValues().get(key.name);
                    // As Kafka: passwords are never shown, only flagged sensitive.
                    boolean sensitive = key.type == ConfigDef.Type.PASSWORD;
                    String text = sensitive || value == null ? null
                            : value instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
                            : value instanceof Class<?> c ? c.getName() : String.valueOf(value);
                    ConfigSource src = originals.containsKey(key.name) ? ConfigSource.STATIC_BROKER_CONFIG
                            : ConfigSource.DEFAULT_CONFIG;
                    DescribeConfigsResourceResult e = new DescribeConfigsResourceResult().setName(key.name)
                            .setValue(text).setReadOnly(true).setIsSensitive(sensitive).setConfigSource(src.id())
                            .setConfigType(type(key.type).id()).setDocumentation(docs ? key.documentation : null);
                    if (synonyms) {
                        e.synonyms().add(new DescribeConfigsSynonym().setName(key.name).setValue(text).setSource(src.id()));
                    }
                    result.configs().add(e);
                }
            } else if (type == ConfigResource.Type.GROUP) {
                if (r.resourceName() == null || r.resourceName().isEmpty()) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Group name must not be empty");
                    continue;
                }
                for (GroupConfigs.Described d : groupConfigs.describe(r.resourceName())) {
                    if (keys != null && !keys.contains(d.name())) {
                        continue;
                    }
                    DescribeConfigsResourceResult e = new DescribeConfigsResourceResult().setName(d.name())
                            .setValue(d.value()).setReadOnly(false).setIsSensitive(false)
                            .setConfigSource(source(d.source()).id()).setConfigType(type(d.type()).id())
                            .setDocumentation(docs ? d.documentation() : null);
                    if (synonyms) {
                        for (GroupConfigs.Synonym s : d.synonyms()) {
                            e.synonyms().add(new DescribeConfigsSynonym().setName(s.name()).setValue(s.value())
                                    .setSource(source(s.source()).id()));
                        }
                    }
                    result.configs().add(e);
                }
            } else {
                result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Weir does not support describing " + type + " configs");
            }
        }
        return new DescribeConfigsResponse(data);
    }

    /** Refuses everything but topics; returns null when the resource may be altered. */
    private static Errors unsupportedTarget(ConfigResource.Type type) {
        return type == ConfigResource.Type.TOPIC ? null : Errors.INVALID_REQUEST;
    }

    private CompletableFuture<AbstractResponse> alter(RequestContext context, AlterConfigsRequest req) {
        AlterConfigsResponseData data = new AlterConfigsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (AlterConfigsRequestData.AlterConfigsResource r : req.data().resources()) {
            AlterConfigsResponseData.AlterConfigsResourceResponse result = new AlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(r.resourceType()).setResourceName(r.resourceName());
            data.responses().add(result);
            Errors denied = authorize(context, r.resourceType(), r.resourceName(), AclOperation.ALTER_CONFIGS);
            if (denied != Errors.NONE) {
                result.setErrorCode(denied.code()).setErrorMessage(denied.message());
                continue;
            }
            Map<String, String> replacement = new LinkedHashMap<>();
            r.configs().forEach(c -> replacement.put(c.name(), c.value()));
            if (ConfigResource.Type.forId(r.resourceType()) == ConfigResource.Type.GROUP) {
                all.add(groupConfigs.alter(r.resourceName(), current -> replacement, req.data().validateOnly())
                        .handle((x, e) -> {
                            result.setErrorCode(e == null ? Errors.NONE.code() : KafkaErrors.of(e).code())
                                    .setErrorMessage(e == null ? null : KafkaErrors.message(e));
                            return null;
                        }));
                continue;
            }
            all.add(apply(ConfigResource.Type.forId(r.resourceType()), r.resourceName(), req.data().validateOnly(),
                    current -> replacement).handle((x, e) -> {
                        result.setErrorCode(e == null ? Errors.NONE.code() : KafkaErrors.of(e).code())
                                .setErrorMessage(e == null ? null : KafkaErrors.message(e));
                        return null;
                    }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new AlterConfigsResponse(data));
    }

    private CompletableFuture<AbstractResponse> incrementalAlter(RequestContext context, IncrementalAlterConfigsRequest req) {
        IncrementalAlterConfigsResponseData data = new IncrementalAlterConfigsResponseData();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource r : req.data().resources()) {
            IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse result =
                    new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                            .setResourceType(r.resourceType()).setResourceName(r.resourceName());
            data.responses().add(result);
            Errors denied = authorize(context, r.resourceType(), r.resourceName(), AclOperation.ALTER_CONFIGS);
            if (denied != Errors.NONE) {
                result.setErrorCode(denied.code()).setErrorMessage(denied.message());
                continue;
            }
            if (ConfigResource.Type.forId(r.resourceType()) == ConfigResource.Type.GROUP) {
                all.add(groupConfigs.alter(r.resourceName(), current -> groupChange(current, r), req.data().validateOnly())
                        .handle((x, e) -> {
                            result.setErrorCode(e == null ? Errors.NONE.code() : KafkaErrors.of(e).code())
                                    .setErrorMessage(e == null ? null : KafkaErrors.message(e));
                            return null;
                        }));
                continue;
            }
            UnaryOperator<Map<String, String>> change = current -> {
                for (IncrementalAlterConfigsRequestData.AlterableConfig c : r.configs()) {
                    if (!topicConfigs.names().contains(c.name())) {
                        throw new InvalidConfigurationException("Unknown topic config name: " + c.name());
                    }
                    switch (c.configOperation()) {
                        case 0 -> current.put(c.name(), c.value());
                        case 1 -> current.remove(c.name());
                        case 2, 3 -> current.put(c.name(), listChange(current, c));
                        default -> throw new InvalidConfigurationException("Unknown config operation "
                                + c.configOperation() + " for " + c.name());
                    }
                }
                return current;
            };
            all.add(apply(ConfigResource.Type.forId(r.resourceType()), r.resourceName(), req.data().validateOnly(), change)
                    .handle((x, e) -> {
                        result.setErrorCode(e == null ? Errors.NONE.code() : KafkaErrors.of(e).code())
                                .setErrorMessage(e == null ? null : KafkaErrors.message(e));
                        return null;
                    }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> new IncrementalAlterConfigsResponse(data));
    }

    /** SET and DELETE on a group's overrides; as Kafka, APPEND and SUBTRACT only for its list key. */
    private static Map<String, String> groupChange(Map<String, String> current,
                                                   IncrementalAlterConfigsRequestData.AlterConfigsResource r) {
        for (IncrementalAlterConfigsRequestData.AlterableConfig c : r.configs()) {
            if (!GroupConfigs.names().contains(c.name()) && c.configOperation() != 1) {
                throw new InvalidConfigurationException("Unknown group config name: " + c.name());
            }
            switch (c.configOperation()) {
                case 0 -> current.put(c.name(), c.value());
                case 1 -> current.remove(c.name());
                case 2, 3 -> {
                    if (!c.name().equals("streams.rack.aware.assignment.tags")) {
                        throw new InvalidConfigurationException(
                                "Config value append/subtract is not allowed for config key: " + c.name());
                    }
                    String base = current.getOrDefault(c.name(), "");
                    List<String> values = new ArrayList<>(base.isEmpty() ? List.of() : Arrays.asList(base.split(",")));
                    List<String> delta = c.value() == null ? List.of()
                            : Arrays.stream(c.value().split(",")).map(String::trim).toList();
                    if (c.configOperation() == 2) {
                        delta.stream().filter(d -> !values.contains(d)).forEach(values::add);
                    } else {
                        values.removeAll(delta);
                    }
                    current.put(c.name(), String.join(",", values));
                }
                default -> throw new InvalidConfigurationException("Unknown config operation "
                        + c.configOperation() + " for " + c.name());
            }
        }
        return current;
    }

    private String listChange(Map<String, String> current, IncrementalAlterConfigsRequestData.AlterableConfig c) {
        String name = c.name();
        if (!name.equals(org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_CONFIG)) {
            throw new InvalidConfigurationException("Config value append/subtract is not allowed for config key: " + name);
        }
        String base = current.getOrDefault(name, topicConfigsDefault(name));
        List<String> values = new ArrayList<>(base.isEmpty() ? List.of() : Arrays.asList(base.split(",")));
        List<String> delta = c.value() == null ? List.of() : Arrays.asList(c.value().split(","));
        if (c.configOperation() == 2) {
            delta.stream().map(String::trim).filter(d -> !values.contains(d)).forEach(values::add);
        } else {
            values.removeAll(delta.stream().map(String::trim).toList());
        }
        return String.join(",", values);
    }

    private String topicConfigsDefault(String name) {
        return String.join(",", brokerConfig.getList(GatewayConfig.LOG_CLEANUP_POLICY));
    }

    private CompletableFuture<TopicMeta> apply(ConfigResource.Type type, String name, boolean validateOnly,
                                               UnaryOperator<Map<String, String>> change) {
        Errors unsupported = unsupportedTarget(type);
        if (unsupported != null) {
            return CompletableFuture.failedFuture(type == ConfigResource.Type.BROKER
                    ? new InvalidConfigurationException("Weir's broker configuration is static: set it in "
                    + "gateway.properties, --set or WEIR_* variables and restart")
                    : new org.apache.kafka.common.errors.InvalidRequestException("Unsupported resource type " + type));
        }
        UnaryOperator<Map<String, String>> checked = current -> {
            Map<String, String> next = change.apply(current);
            try {
                topicConfigs.validate(next);
            } catch (ConfigException e) {
                throw new InvalidConfigurationException(e.getMessage());
            }
            return next;
        };
        if (validateOnly) {
            return catalog.byName(name)
                    .map(t -> {
                        try {
                            checked.apply(new LinkedHashMap<>(t.configOverrides()));
                            return CompletableFuture.completedFuture(t);
                        } catch (RuntimeException e) {
                            return CompletableFuture.<TopicMeta>failedFuture(e);
                        }
                    })
                    .orElseGet(() -> CompletableFuture.failedFuture(
                            new org.apache.kafka.common.errors.UnknownTopicOrPartitionException(
                                    "Topic '" + name + "' does not exist.")));
        }
        return catalog.changeConfigs(name, checked);
    }
}
