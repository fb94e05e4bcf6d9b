package dev.weir.gateway.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * Requests from this node to another over the Kafka protocol, on the other node's client listener
 * (PLAINTEXT): what Kafka brokers send each other, here only the transaction coordinator's
 * WriteTxnMarkers. One short connection per request on a small pool; the kafka-clients message
 * classes do the encoding.
 */
public final class PeerClient implements AutoCloseable {
    private static final int TIMEOUT_MS = 30_000;
    private final int nodeId;
    private final Map<Integer, InetSocketAddress> peers;
    private final AtomicInteger correlation = new AtomicInteger();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "weir-peer-client");
        t.setDaemon(true);
        return t;
    });

    public PeerClient(int nodeId, Map<Integer, InetSocketAddress> peers) {
        this.nodeId = nodeId;
        this.peers = Map.copyOf(peers);
    }

    /** Sends the request at {@code version} to node {@code target}; completes with the answer. */
    public CompletableFuture<AbstractResponse> send(int target, AbstractRequest.Builder<?> builder, short version) {
        InetSocketAddress address = peers.get(target);
        if (address == null) {
            return CompletableFuture.failedFuture(new IOException("no node " + target + " in cluster.nodes"));
        }
        return CompletableFuture.supplyAsync(() -> {
            ApiKeys key = builder.apiKey();
            AbstractRequest request = builder.build(version);
            RequestHeader header = new RequestHeader(key, version, "weir-node-" + nodeId, correlation.incrementAndGet());
            ByteBuffer bytes = request.serializeWithHeader(header);
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address.getHostString(), address.getPort()), TIMEOUT_MS);
                socket.setSoTimeout(TIMEOUT_MS);
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeInt(bytes.remaining());
                byte[] frame = new byte[bytes.remaining()];
                bytes.duplicate().get(frame);
                out.write(frame);
                out.flush();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] answer = new byte[in.readInt()];
                in.readFully(answer);
                return AbstractResponse.parseResponse(ByteBuffer.wrap(answer), header);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("node " + target + " at " + address + ": " + e.getMessage(), e);
            }
        }, pool);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
