package dev.weir.compat;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * A bare TCP connection to a broker for sending exactly the bytes a test wants: well-formed requests
 * serialized by kafka-clients' own request classes, or deliberately broken frames.
 */
public final class RawKafkaConnection implements AutoCloseable {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final String CLIENT_ID = "weir-compat-raw";

    private final Socket socket;
    private final String clientId;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextCorrelationId = 1;

    private RawKafkaConnection(Socket socket, String clientId) throws IOException {
        this.socket = socket;
        this.clientId = clientId;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawKafkaConnection open(Broker broker) {
        return open(broker, CLIENT_ID);
    }

    /** A connection whose requests carry {@code clientId} (quotas are kept per client id). */
    public static RawKafkaConnection open(Broker broker, String clientId) {
        return open(broker.host(), broker.port(), clientId);
    }

    /** A connection to another listener of a broker. */
    public static RawKafkaConnection open(String host, int port, String clientId) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            socket.setTcpNoDelay(true);
            return new RawKafkaConnection(socket, clientId);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new UncheckedIOException("could not connect to " + host + ":" + port, e);
        }
    }

    /** SaslHandshake v1 for {@code mechanism}; its error (NONE when the broker takes it). */
    public org.apache.kafka.common.protocol.Errors saslHandshake(String mechanism) {
        org.apache.kafka.common.requests.SaslHandshakeResponse r = exchange(
                new org.apache.kafka.common.requests.SaslHandshakeRequest.Builder(
                        new org.apache.kafka.common.message.SaslHandshakeRequestData().setMechanism(mechanism))
                        .build((short) 1));
        return org.apache.kafka.common.protocol.Errors.forCode(r.data().errorCode());
    }

    /** SaslHandshake v1 and SaslAuthenticate v2 with PLAIN's token for user and password. */
    public org.apache.kafka.common.requests.SaslAuthenticateResponse authenticatePlain(String user, String password) {
        org.apache.kafka.common.protocol.Errors handshake = saslHandshake("PLAIN");
        if (handshake != org.apache.kafka.common.protocol.Errors.NONE) {
            throw new AssertionError("SaslHandshake PLAIN: " + handshake);
        }
        byte[] token = ("\0" + user + "\0" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return exchange(new org.apache.kafka.common.requests.SaslAuthenticateRequest.Builder(
                new org.apache.kafka.common.message.SaslAuthenticateRequestData().setAuthBytes(token)).build((short) 2));
    }

    public RequestHeader header(ApiKeys apiKey, short version) {
        return new RequestHeader(apiKey, version, clientId, nextCorrelationId++);
    }

    /** Sends a request at its built version and parses the response with kafka-clients. */
    @SuppressWarnings("unchecked")
    public <R extends AbstractResponse> R exchange(AbstractRequest request) {
        RequestHeader header = header(request.apiKey(), request.version());
        writeFrame(request.serializeWithHeader(header));
        return (R) AbstractResponse.parseResponse(readFrame(), header);
    }

    /** Sends a request the broker does not answer (an acks=0 produce) at its built version. */
    public void send(AbstractRequest request) {
        writeFrame(request.serializeWithHeader(header(request.apiKey(), request.version())));
    }

    /** Writes a size prefix and the payload. */
    public void writeFrame(ByteBuffer payload) {
        ByteBuffer frame = ByteBuffer.allocate(4 + payload.remaining());
        frame.putInt(payload.remaining()).put(payload.duplicate()).flip();
        writeRaw(frame.array());
    }

    /** Writes bytes as they are, with no framing. */
    public void writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("write failed", e);
        }
    }

    /** Reads one response frame and returns its payload (response header + body). */
    public ByteBuffer readFrame() {
        try {
            int size = in.readInt();
            if (size < 0 || size > 64 * 1024 * 1024) {
                throw new AssertionError("implausible response size " + size);
            }
            byte[] payload = new byte[size];
            in.readFully(payload);
            return ByteBuffer.wrap(payload);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no response within " + READ_TIMEOUT.toSeconds() + " s", e);
        } catch (EOFException e) {
            throw new AssertionError("the broker closed the connection instead of responding", e);
        } catch (IOException e) {
            throw new UncheckedIOException("read failed", e);
        }
    }

    /**
     * Whether the broker closes this connection, without sending anything, within {@code timeout}.
     * A reset counts as closed; data from the broker is a failure (it should have said nothing).
     */
    public boolean closedByBrokerWithin(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            int next = in.read();
            if (next == -1) {
                return true;
            }
            throw new AssertionError("expected the broker to close the connection, but it sent data (first byte " + next + ")");
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test socket: nothing to do
        }
    }
}
