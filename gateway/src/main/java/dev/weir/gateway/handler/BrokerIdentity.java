package dev.weir.gateway.handler;

import dev.weir.gateway.catalog.TopicCatalog;
import dev.weir.gateway.config.Listeners;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Who this gateway is to clients: its node id, the cluster id, and per listener the address it
 * advertises. As Kafka, a client is told the address of the listener its request came in on. An
 * advertised port of 0 (listening on an ephemeral port) becomes the port actually bound.
 */
public final class BrokerIdentity {
    /** An advertised address. */
    public record Endpoint(String host, int port) {
    }

    private final int nodeId;
    private final Map<String, Listeners.Listener> listeners = new LinkedHashMap<>();
    private final Map<String, Integer> boundPorts = new ConcurrentHashMap<>();
    private final TopicCatalog catalog;

    public BrokerIdentity(int nodeId, List<Listeners.Listener> listeners, TopicCatalog catalog) {
        this.nodeId = nodeId;
        listeners.forEach(l -> this.listeners.put(l.name(), l));
        this.catalog = catalog;
    }

    /** Called once a listener is bound. */
    public void bound(String listener, int port) {
        boundPorts.put(listener, port);
    }

    public int nodeId() {
        return nodeId;
    }

    /** The address advertised on the listener {@code context}'s request came in on. */
    public Endpoint endpoint(RequestContext context) {
        return endpoint(context.listenerName.value());
    }

    public Endpoint endpoint(String listenerName) {
        Listeners.Listener l = listeners.get(listenerName);
        if (l == null) {
            l = listeners.values().iterator().next();
        }
        int port = l.advertisedPort() != 0 ? l.advertisedPort() : boundPorts.getOrDefault(l.name(), 0);
        return new Endpoint(l.advertisedHost(), port);
    }

    public String clusterId() {
        return catalog.clusterId();
    }
}
