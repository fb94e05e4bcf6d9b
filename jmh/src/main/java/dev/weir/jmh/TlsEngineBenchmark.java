package dev.weir.jmh;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TLS engine's cost per byte, without sockets: the JDK's SSLEngine (what the gateway uses,
 * made by kafka-clients' SslFactory) against BoringSSL through netty-tcnative, both TLS 1.3 with
 * the cipher suite they negotiate (AES-GCM). One operation encrypts 16 KiB of application data on
 * one engine and decrypts it on its peer, as a broker does for every fetched and every produced
 * byte; op/s × 16 KiB is the throughput of both together.
 * {@code java -jar jmh/target/benchmarks.jar TlsEngineBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class TlsEngineBenchmark {
    private static final int RECORD = 16 * 1024;
    private static final String PASSWORD = "bench-pass";

    @Param({"JDK", "OPENSSL"})
    public String provider;

    private SSLEngine server;
    private SSLEngine client;
    private ByteBuffer app;
    private ByteBuffer net;
    private ByteBuffer out;
    private Path dir;

    @Setup
    public void setup() throws Exception {
        SslProvider p = SslProvider.valueOf(provider);
        if (p == SslProvider.OPENSSL && !OpenSsl.isAvailable()) {
            throw new IllegalStateException("netty-tcnative is not usable here", OpenSsl.unavailabilityCause());
        }
        dir = Files.createTempDirectory("tls-bench");
        Path keystore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD)
                .inheritIO().start();
        if (keytool.waitFor() != 0) {
            throw new IllegalStateException("keytool failed");
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SslContext serverContext = SslContextBuilder.forServer(kmf).sslProvider(p).protocols(List.of("TLSv1.3")).build();
        SslContext clientContext = SslContextBuilder.forClient().sslProvider(p).protocols(List.of("TLSv1.3"))
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        server = serverContext.newEngine(ByteBufAllocator.DEFAULT);
        client = clientContext.newEngine(ByteBufAllocator.DEFAULT, "localhost", 9093);
        int packet = Math.max(server.getSession().getPacketBufferSize(), client.getSession().getPacketBufferSize());
        app = ByteBuffer.allocateDirect(RECORD);
        net = ByteBuffer.allocateDirect(packet * 2);
        out = ByteBuffer.allocateDirect(Math.max(RECORD, packet) * 2);
        handshake();
    }

    private void handshake() throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocateDirect(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocateDirect(1 << 17);
        ByteBuffer empty = ByteBuffer.allocateDirect(0);
        ByteBuffer sink = ByteBuffer.allocateDirect(1 << 17);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 1000; i++) {
            boolean clientDone = done(client);
            boolean serverDone = done(server);
            if (clientDone && serverDone) {
                return;
            }
            step(client, empty, toServer, toClient, sink);
            step(server, empty, toClient, toServer, sink);
        }
        throw new IllegalStateException("no handshake after 1000 steps");
    }

    private static boolean done(SSLEngine e) {
        SSLEngineResult.HandshakeStatus s = e.getHandshakeStatus();
        return s == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || s == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    /** One engine's turn: run its tasks, read what the peer sent, write what it must. */
    private static void step(SSLEngine e, ByteBuffer empty, ByteBuffer outbox, ByteBuffer inbox, ByteBuffer sink)
            throws SSLException {
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
        }
        inbox.flip();
        while (inbox.hasRemaining()) {
            SSLEngineResult r = e.unwrap(inbox, sink);
            sink.clear();
            while ((task = e.getDelegatedTask()) != null) {
                task.run();
            }
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
        inbox.compact();
        while (e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
            e.wrap(empty, outbox);
        }
    }

    @Benchmark
    public int serverEncryptsClientDecrypts16k() throws SSLException {
        app.clear();
        net.clear();
        SSLEngineResult wrapped = server.wrap(app, net);
        net.flip();
        out.clear();
        int read = 0;
        while (net.hasRemaining()) {
            SSLEngineResult r = client.unwrap(net, out);
            read += r.bytesProduced();
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
        if (read != wrapped.bytesConsumed()) {
            throw new IllegalStateException("decrypted " + read + " of " + wrapped.bytesConsumed() + " bytes");
        }
        return read;
    }

    @TearDown
    public void tearDown() throws Exception {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
