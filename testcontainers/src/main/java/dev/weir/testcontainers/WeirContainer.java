package dev.weir.testcontainers;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * A Weir gateway in a container, shaped like Testcontainers' {@code KafkaContainer}: clients on the
 * host use {@link #getBootstrapServers()}, clients in other containers of the same network use
 * {@link #getInternalBootstrapServers()} (a network alias and port 9093), and the container counts
 * as started when the gateway answers a Metadata request (Admin's describeCluster).
 *
 * <pre>{@code
 * try (WeirContainer weir = new WeirContainer("weir:latest")) {
 *     weir.start();
 *     Map<String, Object> props = weir.getClientProperties();   // bootstrap.servers and, with SASL, the login
 * }
 * }</pre>
 *
 * Any gateway key is set by {@link #withWeirConfig(String, String)}. SASL users are added by
 * {@link #withSaslPlain(String, String)} and {@link #withScram(String, String, String)}, TLS by
 * {@link #withTls(String, String)}; both listeners then require them, and
 * {@link #getClientProperties()} logs in as the first user and trusts the certificate.
 */
public class WeirContainer extends GenericContainer<WeirContainer> {
    /** The listener for clients on the host, published on a random host port. */
    public static final int EXTERNAL_PORT = 9092;
    /** The listener for clients in other containers, advertised as the network alias. */
    public static final int INTERNAL_PORT = 9093;

    private static final String STARTER_SCRIPT = "/tmp/weir-start.sh";
    private static final String ENTRYPOINT = "/opt/weir/bin/weir-entrypoint";
    private static final String PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    private static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, String> plainUsers = new LinkedHashMap<>();
    private final List<String> scramArguments = new ArrayList<>();
    private final Map<String, String> listenerConfigs = new LinkedHashMap<>();
    private final Set<String> mechanisms = new LinkedHashSet<>();
    private Credential clientCredential;
    private String tlsCertificateChain;

    public WeirContainer(String imageName) {
        this(DockerImageName.parse(imageName));
    }

    public WeirContainer(DockerImageName imageName) {
        super(imageName);
        withExposedPorts(EXTERNAL_PORT, INTERNAL_PORT);
        withEnv("WEIR_LISTENERS", "EXTERNAL://0.0.0.0:" + EXTERNAL_PORT + ",BROKER://0.0.0.0:" + INTERNAL_PORT);
        withEnv("WEIR_HEALTHCHECK_PORT", Integer.toString(INTERNAL_PORT));
        // As KafkaContainer: a test's first consumer group need not wait for more members.
        withEnv("WEIR_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        waitingFor(new MetadataWaitStrategy().withStartupTimeout(DEFAULT_STARTUP_TIMEOUT));
    }

    /**
     * Sets a gateway configuration key (config/gateway.properties names), as {@code WEIR_<KEY>}, or for
     * the {@code listener.name.} keys, which the gateway takes only from its arguments, as {@code --set}.
     */
    public WeirContainer withWeirConfig(String key, String value) {
        if (key.startsWith("listener.name.")) {
            listenerConfigs.put(key, value);
            return self();
        }
        return withEnv("WEIR_" + key.replace('.', '_').toUpperCase(Locale.ROOT), value);
    }

    /** Adds a SASL/PLAIN user; the listeners become SASL_PLAINTEXT (SASL_SSL with TLS). */
    public WeirContainer withSaslPlain(String user, String password) {
        mechanisms.add("PLAIN");
        plainUsers.put(user, password);
        if (clientCredential == null) {
            clientCredential = new Credential("PLAIN", user, password);
        }
        return self();
    }

    /**
     * Adds a SCRAM user ({@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}), created in the data directory
     * at start (the gateway's {@code --add-scram}); the listeners become SASL_PLAINTEXT (SASL_SSL with
     * TLS). The name and
     * password may not hold commas or brackets.
     */
    public WeirContainer withScram(String mechanism, String user, String password) {
        mechanisms.add(mechanism);
        scramArguments.add("--add-scram");
        scramArguments.add(mechanism + "=[name=" + user + ",password=" + password + "]");
        if (clientCredential == null) {
            clientCredential = new Credential(mechanism, user, password);
        }
        return self();
    }

    /**
     * Serves TLS on both listeners (SSL, or SASL_SSL with a SASL user) with this certificate chain and
     * PKCS#8 private key in PEM; clients of {@link #getClientProperties()} trust the chain. The
     * certificate must name the host as {@link #getHost()} gives it (clients check the name) and, for
     * clients in other containers, the network alias.
     */
    public WeirContainer withTls(String certificateChainPem, String privateKeyPem) {
        tlsCertificateChain = certificateChainPem;
        withEnv("WEIR_SSL_KEYSTORE_TYPE", "PEM");
        withEnv("WEIR_SSL_KEYSTORE_CERTIFICATE_CHAIN", certificateChainPem);
        withEnv("WEIR_SSL_KEYSTORE_KEY", privateKeyPem);
        // The image's healthcheck speaks Kafka in clear text; on TLS it checks the port only.
        return withEnv("WEIR_HEALTHCHECK", "tcp");
    }

    /** {@code host:port} for clients running on the host (where the test runs). */
    public String getBootstrapServers() {
        return getHost() + ":" + getMappedPort(EXTERNAL_PORT);
    }

    /** {@code alias:9093} for clients in other containers on this container's network. */
    public String getInternalBootstrapServers() {
        return internalAlias() + ":" + INTERNAL_PORT;
    }

    /**
     * Client properties for a host client: bootstrap.servers and, with SASL, security.protocol,
     * sasl.mechanism and sasl.jaas.config of the first user added.
     */
    public Map<String, Object> getClientProperties() {
        Map<String, Object> props = new LinkedHashMap<>(securityProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, getBootstrapServers());
        return props;
    }

    /** The security part of {@link #getClientProperties()}: empty without SASL and TLS. */
    public Map<String, Object> securityProperties() {
        Map<String, Object> props = new LinkedHashMap<>();
        if (clientCredential != null) {
            props.putAll(clientCredential.clientProperties());
        }
        if (tlsCertificateChain != null) {
            props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
            props.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, tlsCertificateChain);
        }
        if (clientCredential != null || tlsCertificateChain != null) {
            props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol());
        }
        return props;
    }

    private String securityProtocol() {
        if (mechanisms.isEmpty()) {
            return tlsCertificateChain == null ? "PLAINTEXT" : "SSL";
        }
        return tlsCertificateChain == null ? "SASL_PLAINTEXT" : "SASL_SSL";
    }

    @Override
    protected void configure() {
        String protocol = securityProtocol();
        withEnv("WEIR_LISTENER_SECURITY_PROTOCOL_MAP", "EXTERNAL:" + protocol + ",BROKER:" + protocol);
        List<String> arguments = new ArrayList<>();
        if (!mechanisms.isEmpty()) {
            withEnv("WEIR_SASL_ENABLED_MECHANISMS", String.join(",", mechanisms));
            if (!plainUsers.isEmpty()) {
                StringBuilder jaas = new StringBuilder(PLAIN_LOGIN_MODULE).append(" required");
                plainUsers.forEach((user, password) ->
                        jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
                jaas.append(';');
                for (String listener : List.of("external", "broker")) {
                    arguments.add("--set");
                    arguments.add("listener.name." + listener + ".plain.sasl.jaas.config=" + jaas);
                }
            }
            arguments.addAll(scramArguments);
        }
        listenerConfigs.forEach((key, value) -> {
            arguments.add("--set");
            arguments.add(key + "=" + value);
        });
        // The advertised host port is known only once the container runs: the container waits for the
        // start script copied in containerIsStarting, as KafkaContainer's does. The gateway's arguments
        // are part of the command, so a reused container is one started with the same configuration.
        withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("bash"));
        List<String> command = new ArrayList<>(List.of("-c",
                "while [ ! -f " + STARTER_SCRIPT + " ]; do sleep 0.1; done; exec bash " + STARTER_SCRIPT + " \"$@\"",
                "weir"));
        command.addAll(arguments);
        setCommand(command.toArray(String[]::new));
    }

    @Override
    protected void containerIsStarting(InspectContainerResponse containerInfo) {
        String script = "#!/bin/bash\n"
                + "export WEIR_ADVERTISED_LISTENERS='EXTERNAL://" + getBootstrapServers()
                + ",BROKER://" + internalAlias() + ":" + INTERNAL_PORT + "'\n"
                + "exec " + ENTRYPOINT + " \"$@\"\n";
        copyFileToContainer(Transferable.of(script.getBytes(StandardCharsets.UTF_8), 0755), STARTER_SCRIPT);
    }

    /** The last network alias (the caller's own, else the random one Testcontainers gives every container). */
    private String internalAlias() {
        List<String> aliases = getNetworkAliases();
        if (aliases.isEmpty()) {
            return "localhost";
        }
        return aliases.get(aliases.size() - 1);
    }

    private record Credential(String mechanism, String user, String password) {
        Map<String, Object> clientProperties() {
            String module = mechanism.equals("PLAIN") ? PLAIN_LOGIN_MODULE : SCRAM_LOGIN_MODULE;
            return Map.of(
                    SaslConfigs.SASL_MECHANISM, mechanism,
                    SaslConfigs.SASL_JAAS_CONFIG,
                    module + " required username=\"" + user + "\" password=\"" + password + "\";");
        }
    }

    /**
     * Ready when the gateway answers Admin's describeCluster on the host listener with a node: a real
     * Metadata round trip, through the published port, with the container's own client login.
     */
    private static final class MetadataWaitStrategy extends AbstractWaitStrategy {
        @Override
        protected void waitUntilReady() {
            if (!(waitStrategyTarget instanceof WeirContainer weir)) {
                throw new IllegalStateException("the Metadata wait strategy serves WeirContainer only");
            }
            Map<String, Object> props = new LinkedHashMap<>(weir.getClientProperties());
            int timeoutMs = (int) Math.min(Integer.MAX_VALUE, startupTimeout.toMillis());
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 5_000));
            props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
            try (Admin admin = Admin.create(props)) {
                int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
                        .nodes().get(timeoutMs + 1_000L, TimeUnit.MILLISECONDS).size();
                if (nodes == 0) {
                    throw new ContainerLaunchException("Weir answered Metadata with no broker");
                }
            } catch (ExecutionException | TimeoutException e) {
                throw new ContainerLaunchException("Weir did not answer Metadata at " + props.get(
                        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) + " within " + startupTimeout
                        + ": " + (e.getCause() != null ? e.getCause() : e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for Weir", e);
            }
        }
    }
}
