package dev.weir.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
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
 * the cipher suite they negotiate (AES-GCM), each behind Netty's SslHandler as in the gateway. One
 * operation encrypts 16 KiB of application data on one end and decrypts it on the other, as a
 * broker and its client do for every fetched byte; op/s × 16 KiB is the throughput of both together.
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

    private EmbeddedChannel server;
    private EmbeddedChannel client;
    private ByteBuf record;
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
        // Netty's SslHandler on both ends, as the gateway's pipeline has it; bytes shuttled by hand.
        SslHandler serverTls = serverContext.newHandler(ByteBufAllocator.DEFAULT);
        SslHandler clientTls = clientContext.newHandler(ByteBufAllocator.DEFAULT, "localhost", 9093);
        server = new EmbeddedChannel(serverTls);
        client = new EmbeddedChannel(clientTls);
        for (int i = 0; i < 1000 && !(serverTls.handshakeFuture().isDone() && clientTls.handshakeFuture().isDone()); i++) {
            pump(client, server);
            pump(server, client);
        }
        if (!serverTls.handshakeFuture().isSuccess() || !clientTls.handshakeFuture().isSuccess()) {
            throw new IllegalStateException("no TLS handshake", serverTls.handshakeFuture().cause());
        }
        pump(server, client); // TLS 1.3's session tickets, after the handshake
        drain(client);
        record = Unpooled.directBuffer(RECORD).writeZero(RECORD);
    }

    /** Moves what {@code from} wrote to {@code to}'s input. */
    private static void pump(EmbeddedChannel from, EmbeddedChannel to) {
        from.runPendingTasks();
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            to.writeInbound(b);
        }
        to.runPendingTasks();
    }

    private static int drain(EmbeddedChannel ch) {
        int n = 0;
        ByteBuf b;
        while ((b = ch.readInbound()) != null) {
            n += b.readableBytes();
            b.release();
        }
        return n;
    }

    @Benchmark
    public int serverEncryptsClientDecrypts16k() {
        server.writeAndFlush(record.retainedDuplicate());
        pump(server, client);
        int read = drain(client);
        if (read != RECORD) {
            throw new IllegalStateException("decrypted " + read + " of " + RECORD + " bytes");
        }
        return read;
    }

    @TearDown
    public void tearDown() throws Exception {
        record.release();
        server.finishAndReleaseAll();
        client.finishAndReleaseAll();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
