package dev.weir.jmh;

import dev.weir.embedded.EmbeddedWeir;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long a test waits for an embedded broker in a warm JVM: from {@code EmbeddedWeir.builder()}
 * to the first Metadata answer on a fresh connection, asked as a client asks it (ApiVersions, then
 * Metadata, encoded and decoded by kafka-clients). The close that follows is outside the timing.
 * {@code java -jar jmh/target/benchmarks.jar EmbeddedStartBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 30)
@Measurement(iterations = 50)
@Fork(value = 1, jvmArgs = {"--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class EmbeddedStartBenchmark {
    /** temp: a temporary directory (the default); memory: under /dev/shm. */
    @Param({"temp", "memory"})
    public String data;

    private EmbeddedWeir weir;

    @Benchmark
    public MetadataResponse startToFirstMetadata() throws IOException {
        EmbeddedWeir.Builder b = EmbeddedWeir.builder();
        if (data.equals("memory")) {
            b.memoryBacked();
        }
        weir = b.start();
        try (Socket socket = new Socket("127.0.0.1", weir.port())) {
            socket.setTcpNoDelay(true);
            send(socket, new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("jmh").setClientSoftwareVersion("1"), (short) 3), 1);
            receive(socket, ApiKeys.API_VERSIONS, (short) 3, 1);
            short version = ApiKeys.METADATA.latestVersion();
            send(socket, new MetadataRequest.Builder(new MetadataRequestData().setTopics(List.of())).build(version), 2);
            MetadataResponse response = (MetadataResponse) receive(socket, ApiKeys.METADATA, version, 2);
            if (response.brokers().size() != 1 || response.brokers().iterator().next().port() != weir.port()) {
                throw new IllegalStateException("unexpected Metadata answer: " + response);
            }
            return response;
        }
    }

    @TearDown(Level.Iteration)
    public void close() {
        if (weir != null) {
            weir.close();
            weir = null;
        }
    }

    private static void send(Socket socket, AbstractRequest request, int correlationId) throws IOException {
        RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "jmh", correlationId);
        ByteBuffer body = request.serializeWithHeader(header);
        OutputStream out = socket.getOutputStream();
        out.write(ByteBuffer.allocate(4).putInt(body.remaining()).array());
        out.write(body.array(), body.arrayOffset() + body.position(), body.remaining());
        out.flush();
    }

    private static AbstractResponse receive(Socket socket, ApiKeys key, short version, int correlationId) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        RequestHeader header = new RequestHeader(key, version, "jmh", correlationId);
        return AbstractResponse.parseResponse(ByteBuffer.wrap(frame), header);
    }
}
