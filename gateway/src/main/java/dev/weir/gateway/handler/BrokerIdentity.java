package dev.weir.gateway.handler;

import dev.weir.gateway.catalog.TopicCatalog;

/**
 * Who this gateway is to clients: its node id and advertised address, and the cluster id. An
 * advertised port of 0 (listening on an ephemeral port) becomes the port actually bound.
 */
public final class BrokerIdentity {
    private final int nodeId;
    private final String host;
    private final int advertisedPort;
    private final TopicCatalog catalog;
    private volatile int boundPort;

    public BrokerIdentity(int nodeId, String host, int advertisedPort, TopicCatalog catalog) {
        this.nodeId = nodeId;
        this.host = host;
        this.advertisedPort = advertisedPort;
        this.catalog = catalog;
    }

    /** Called once the listener is bound. */
    public void bound(int port) {
        this.boundPort = port;
    }

    public int nodeId() {
        return nodeId;
    }

    public String host() {
        return host;
    }

    public int port() {
        return advertisedPort != 0 ? advertisedPort : boundPort;
    }

    public String clusterId() {
        return catalog.clusterId();
    }
}
