package dev.weir.gateway.handler;

import dev.weir.gateway.catalog.TopicCatalog;
import org.apache.kafka.common.Node;

/** Who this gateway is to clients: its node id and advertised address, and the cluster id. */
public record BrokerIdentity(int nodeId, String host, int port, TopicCatalog catalog) {

    public Node node() {
        return new Node(nodeId, host, port);
    }

    public String clusterId() {
        return catalog.clusterId();
    }
}
