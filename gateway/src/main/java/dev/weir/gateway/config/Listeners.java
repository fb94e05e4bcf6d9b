package dev.weir.gateway.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Kafka's listener settings: {@code listeners}, {@code advertised.listeners} and
 * {@code listener.security.protocol.map}, parsed and checked as Kafka's broker does.
 */
public final class Listeners {
    /** Kafka's default: each protocol's own name maps to it. */
    public static final String DEFAULT_PROTOCOL_MAP =
            "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";
    /** Start of every listener-prefixed key. */
    public static final String PREFIX = "listener.name.";

    private Listeners() {
    }

    /** One listener: its name (upper case), security protocol, where it binds and what it advertises. */
    public record Listener(String name, SecurityProtocol protocol, String host, int port,
                           String advertisedHost, int advertisedPort) {
        public boolean usesSsl() {
            return protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL;
        }

        public boolean usesSasl() {
            return protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL;
        }
    }

    /** A NAME://host:port entry. */
    record Address(String name, String host, int port) {
    }

    /** listener.name.&lt;name in lower case&gt;., as Kafka's {@code ListenerName.configPrefix()}. */
    public static String configPrefix(String listenerName) {
        return PREFIX + listenerName.toLowerCase(Locale.ROOT) + ".";
    }

    static List<Listener> parse(String listeners, String advertised, String protocolMap) {
        Map<String, SecurityProtocol> protocols = parseProtocolMap(protocolMap);
        List<Address> bound = parseList(GatewayConfig.LISTENERS, listeners);
        if (bound.isEmpty()) {
            throw new ConfigException(GatewayConfig.LISTENERS, listeners, "at least one listener is needed");
        }
        Map<String, Address> advertisedByName = new LinkedHashMap<>();
        for (Address a : parseList(GatewayConfig.ADVERTISED_LISTENERS, advertised)) {
            if (bound.stream().noneMatch(b -> b.name().equals(a.name()))) {
                throw new ConfigException(GatewayConfig.ADVERTISED_LISTENERS, advertised,
                        "listener " + a.name() + " is not one of listeners");
            }
            advertisedByName.put(a.name(), a);
        }
        Set<Integer> ports = new HashSet<>();
        List<Listener> out = new ArrayList<>();
        for (Address a : bound) {
            SecurityProtocol protocol = protocols.get(a.name());
            if (protocol == null) {
                throw new ConfigException(GatewayConfig.LISTENERS, listeners, "no security protocol is defined for "
                        + "listener " + a.name() + " in " + GatewayConfig.LISTENER_SECURITY_PROTOCOL_MAP);
            }
            if (a.port() != 0 && !ports.add(a.port())) {
                throw new ConfigException(GatewayConfig.LISTENERS, listeners, "two listeners use port " + a.port());
            }
            Address adv = advertisedByName.get(a.name());
            String advHost = adv != null ? adv.host()
                    : a.host().isEmpty() || a.host().equals("0.0.0.0") || a.host().equals("::") ? "127.0.0.1" : a.host();
            int advPort = adv != null ? adv.port() : a.port();
            out.add(new Listener(a.name(), protocol, a.host(), a.port(), advHost, advPort));
        }
        return out;
    }

    static List<Address> parseList(String key, String value) {
        List<Address> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String part : value.split(",")) {
            String v = part.trim();
            if (v.isEmpty()) {
                continue;
            }
            int sep = v.indexOf("://");
            if (sep <= 0) {
                throw new ConfigException(key, value, "expected NAME://host:port, got " + v);
            }
            String name = v.substring(0, sep).toUpperCase(Locale.ROOT);
            String hostPort = v.substring(sep + 3);
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw new ConfigException(key, value, "expected host:port after " + name + "://");
            }
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException(key, value, "port of " + name + " is not a number");
            }
            if (port < 0 || port > 65535) {
                throw new ConfigException(key, value, "port of " + name + " is out of range");
            }
            if (!names.add(name)) {
                throw new ConfigException(key, value, "listener " + name + " appears twice");
            }
            out.add(new Address(name, host, port));
        }
        return out;
    }

    static Map<String, SecurityProtocol> parseProtocolMap(String value) {
        Map<String, SecurityProtocol> out = new LinkedHashMap<>();
        for (String part : value.split(",")) {
            String v = part.trim();
            if (v.isEmpty()) {
                continue;
            }
            int colon = v.indexOf(':');
            if (colon <= 0) {
                throw new ConfigException(GatewayConfig.LISTENER_SECURITY_PROTOCOL_MAP, value,
                        "expected NAME:PROTOCOL, got " + v);
            }
            String protocol = v.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
            try {
                out.put(v.substring(0, colon).trim().toUpperCase(Locale.ROOT), SecurityProtocol.forName(protocol));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(GatewayConfig.LISTENER_SECURITY_PROTOCOL_MAP, value,
                        "unknown security protocol " + protocol + "; known: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
            }
        }
        return out;
    }
}
