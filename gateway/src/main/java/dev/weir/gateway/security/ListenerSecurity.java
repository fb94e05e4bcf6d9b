package dev.weir.gateway.security;

import dev.weir.gateway.config.GatewayConfig;
import dev.weir.gateway.config.Listeners;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.security.auth.callback.CallbackHandler;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import javax.security.sasl.SaslServerFactory;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.network.ChannelBuilders;
import org.apache.kafka.common.network.ConnectionMode;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.auth.KafkaPrincipalBuilder;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.plain.internals.PlainServerCallbackHandler;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;
import org.apache.kafka.common.security.scram.internals.ScramServerCallbackHandler;
import org.apache.kafka.common.security.ssl.SslFactory;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * What one listener needs to authenticate its connections, built once at start from the
 * listener's settings (its prefixed keys over the plain ones) with kafka-clients' own classes:
 * {@link SslFactory} for TLS engines, Kafka's PLAIN and SCRAM SASL servers with their callback
 * handlers, and the principal builder. A wrong setting stops the start with a message naming it.
 */
public final class ListenerSecurity {
    /** The SASL mechanisms Weir serves. */
    public static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

    private final GatewayConfig config;
    private final Listeners.Listener listener;
    private final ListenerName listenerName;
    private final Map<String, Object> values;
    private final SslFactory sslFactory;
    private final KafkaPrincipalBuilder principalBuilder;
    private final List<String> mechanisms;
    private final Map<String, AuthenticateCallbackHandler> callbackHandlers = new LinkedHashMap<>();
    private final Map<String, Long> reauthMs = new LinkedHashMap<>();
    private final int maxReceiveBytes;

    private ListenerSecurity(GatewayConfig config, Listeners.Listener listener, ScramCredentials scram) {
        this.config = config;
        this.listener = listener;
        this.listenerName = new ListenerName(listener.name());
        values = config.listenerValues(listener.name());
        String rules = (String) values.get(BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG);
        SslPrincipalMapper mapper;
        try {
            mapper = SslPrincipalMapper.fromRules(rules);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key(BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG), rules, e.getMessage());
        }
        principalBuilder = ChannelBuilders.createPrincipalBuilder(values, null, mapper);
        sslFactory = listener.usesSsl() ? sslFactory() : null;
        if (listener.usesSasl()) {
            @SuppressWarnings("unchecked")
            List<String> enabled = (List<String>) values.get(BrokerSecurityConfigs.SASL_ENABLED_MECHANISMS_CONFIG);
            mechanisms = List.copyOf(enabled);
            if (mechanisms.isEmpty()) {
                throw new ConfigException(key(BrokerSecurityConfigs.SASL_ENABLED_MECHANISMS_CONFIG), enabled,
                        "listener " + listener.name() + " is " + listener.protocol() + " and needs a mechanism");
            }
            for (String mechanism : mechanisms) {
                if (!MECHANISMS.contains(mechanism)) {
                    throw new ConfigException(key(BrokerSecurityConfigs.SASL_ENABLED_MECHANISMS_CONFIG), enabled,
                            "Weir serves the SASL mechanisms " + String.join(", ", MECHANISMS) + ", not " + mechanism);
                }
                callbackHandlers.put(mechanism, callbackHandler(mechanism, scram));
                String prefixed = mechanism.toLowerCase(Locale.ROOT) + "."
                        + BrokerSecurityConfigs.CONNECTIONS_MAX_REAUTH_MS_CONFIG;
                Object ms = values.getOrDefault(prefixed, values.get(BrokerSecurityConfigs.CONNECTIONS_MAX_REAUTH_MS_CONFIG));
                reauthMs.put(mechanism, (Long) ms);
            }
        } else {
            mechanisms = List.of();
        }
        maxReceiveBytes = (Integer) values.get(BrokerSecurityConfigs.SASL_SERVER_MAX_RECEIVE_SIZE_CONFIG);
    }

    /** The security of every configured listener, by name. */
    public static Map<String, ListenerSecurity> of(GatewayConfig config, ScramCredentials scram) {
        Map<String, ListenerSecurity> out = new LinkedHashMap<>();
        for (Listeners.Listener l : config.listeners()) {
            out.put(l.name(), new ListenerSecurity(config, l, scram));
        }
        return out;
    }

    private SslFactory sslFactory() {
        // As Kafka (KIP-684): on SASL_SSL, ssl.client.auth applies only when set with the listener prefix.
        String clientAuthOverride = listener.protocol() == org.apache.kafka.common.security.auth.SecurityProtocol.SASL_SSL
                && !config.setForListener(listener.name(), BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG) ? "none" : null;
        SslFactory factory = new SslFactory(ConnectionMode.SERVER, clientAuthOverride, false);
        try {
            factory.configure(values);
        } catch (KafkaException | IllegalArgumentException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ConfigException("listener " + listener.name() + " (" + listener.protocol()
                    + "): its TLS settings (" + Listeners.configPrefix(listener.name()) + "ssl.* or ssl.*) are wrong: "
                    + e.getMessage() + (cause != e ? " (" + cause.getMessage() + ")" : ""));
        }
        return factory;
    }

    private AuthenticateCallbackHandler callbackHandler(String mechanism, ScramCredentials scram) {
        if (mechanism.equals("PLAIN")) {
            JaasContext jaas;
            try {
                jaas = JaasContext.loadServerContext(listenerName, mechanism, values);
            } catch (IllegalArgumentException | KafkaException e) {
                throw new ConfigException(Listeners.configPrefix(listener.name()) + "plain.sasl.jaas.config", null,
                        "listener " + listener.name() + " enables PLAIN and needs its users: " + e.getMessage());
            }
            PlainServerCallbackHandler handler = new PlainServerCallbackHandler();
            handler.configure(values, mechanism, jaas.configurationEntries());
            return handler;
        }
        ScramServerCallbackHandler handler = new ScramServerCallbackHandler(scram.cache(mechanism), scram.tokens());
        handler.configure(values, mechanism, List.of());
        return handler;
    }

    /** The key as the user set it: with the listener prefix if that is where the value came from. */
    private String key(String key) {
        return config.setForListener(listener.name(), key) ? Listeners.configPrefix(listener.name()) + key : key;
    }

    public Listeners.Listener listener() {
        return listener;
    }

    public ListenerName listenerName() {
        return listenerName;
    }

    public KafkaPrincipalBuilder principalBuilder() {
        return principalBuilder;
    }

    /** A server-side TLS engine for a new connection; only for SSL and SASL_SSL listeners. */
    public SSLEngine newSslEngine(InetSocketAddress peer) {
        return sslFactory.createSslEngine(peer.getAddress().getHostAddress(), peer.getPort());
    }

    public List<String> mechanisms() {
        return mechanisms;
    }

    /** Largest frame read before a SASL connection has authenticated (sasl.server.max.receive.size). */
    public int maxReceiveBytes() {
        return maxReceiveBytes;
    }

    /** connections.max.reauth.ms for a mechanism; 0 or less: sessions do not expire. */
    public long reauthMs(String mechanism) {
        Long ms = reauthMs.get(mechanism);
        return ms == null ? 0 : ms;
    }

    /** A SASL server for one authentication with {@code mechanism}, one of {@link #mechanisms()}. */
    SaslServer newSaslServer(String mechanism, String serverHost) throws SaslException {
        CallbackHandler handler = callbackHandlers.get(mechanism);
        SaslServerFactory factory = mechanism.equals("PLAIN")
                ? new PlainSaslServer.PlainSaslServerFactory() : new ScramSaslServer.ScramSaslServerFactory();
        SaslServer server = factory.createSaslServer(mechanism, "kafka", serverHost, values, handler);
        if (server == null) {
            throw new SaslException("Kafka Server failed to create a SaslServer to interact with a client during "
                    + "session authentication with server mechanism " + mechanism);
        }
        return server;
    }

}
