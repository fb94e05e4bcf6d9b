package dev.weir.compat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** Lifecycle shared by the gateway and the real Kafka broker: start, readiness, SIGTERM, SIGKILL, restart. */
abstract class BrokerProcess implements Broker {
    static final String HOST = "127.0.0.1";
    /**
     * A setting naming listeners beside the PLAINTEXT one every broker under test has (which the
     * harness uses to see that it serves), e.g. {@code SASL_SSL://127.0.0.1:PORT}; with it,
     * {@code listener.security.protocol.map} maps the names to protocols, as in Kafka.
     */
    static final String EXTRA_LISTENERS = "listeners";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    protected final String name;
    protected final Path dataDir;
    protected final int port;
    private final Path logFile;
    private Process process;

    protected BrokerProcess(String name, Path dataDir, int port) {
        this.name = name;
        this.dataDir = dataDir;
        this.port = port;
        this.logFile = CompatPaths.newLogFile(name, ".log");
    }

    /** ",extra,listeners" for a listeners value that starts with the PLAINTEXT one; "" if there are none. */
    static String extraListeners(Map<String, String> settings) {
        String extra = settings.get(EXTRA_LISTENERS);
        return extra == null || extra.isBlank() ? "" : "," + extra;
    }

    /** The full command line that starts the broker on {@link #port} with its data in {@link #dataDir}. */
    protected abstract List<String> command();

    /** How long a start may take before the test gives up. */
    protected abstract Duration startTimeout();

    final void launch() {
        spawn();
        awaitReady();
    }

    /** Starts the process without waiting for it to serve (a cluster's nodes wait for each other). */
    final void spawn() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        process = ChildProcesses.start(command(), logFile);
    }

    /** SIGSTOP: the process stops where it is, its sockets open, as a node cut off by a partition looks. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the spawned process serves, as {@link #launch()} does. */
    final void awaitServing() {
        awaitReady();
    }

    @Override
    public String host() {
        return HOST;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public Path logFile() {
        return logFile;
    }

    /** Resident memory of the broker process, from /proc (Linux). */
    public long residentKb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("no VmRSS for " + name);
    }

    @Override
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void stop() {
        if (!isAlive()) {
            throw new AssertionError(name + " was expected to be running before stop; log tail:\n" + logTail());
        }
        process.destroy();
        if (!waitForExit(STOP_TIMEOUT)) {
            process.destroyForcibly();
            waitForExit(STOP_TIMEOUT);
            throw new AssertionError(name + " did not exit within " + STOP_TIMEOUT.toSeconds()
                    + " s of SIGTERM (killed it); log tail:\n" + logTail());
        }
    }

    @Override
    public void kill9() {
        if (!isAlive()) {
            throw new AssertionError(name + " was expected to be running before kill -9; log tail:\n" + logTail());
        }
        process.destroyForcibly();
        if (!waitForExit(STOP_TIMEOUT)) {
            throw new AssertionError(name + " survived SIGKILL for " + STOP_TIMEOUT.toSeconds() + " s");
        }
    }

    @Override
    public void restart() {
        launch();
    }

    @Override
    public void close() {
        try {
            if (isAlive()) {
                process.destroy();
                if (!waitForExit(STOP_TIMEOUT)) {
                    process.destroyForcibly();
                    waitForExit(STOP_TIMEOUT);
                }
            }
        } finally {
            CompatPaths.deleteRecursively(dataDir);
        }
    }

    String logTail() {
        return ChildProcesses.tail(logFile, 80);
    }

    private boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Ready = the port accepts connections and an AdminClient's DescribeCluster lists at least one node. */
    private void awaitReady() {
        long deadline = System.nanoTime() + startTimeout().toNanos();
        Exception lastFailure = null;
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue()
                        + " before it was ready; log " + logFile + ":\n" + logTail());
            }
            if (acceptsConnections()) {
                try {
                    if (describeClusterSucceeds()) {
                        return;
                    }
                } catch (Exception e) {
                    lastFailure = e;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                process.destroyForcibly();
                throw new IllegalStateException(name + " was not ready within " + startTimeout().toSeconds()
                        + " s (last failure: " + lastFailure + "); log " + logFile + ":\n" + logTail());
            }
            Await.pause();
        }
    }

    private boolean acceptsConnections() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean describeClusterSucceeds() throws InterruptedException, ExecutionException, TimeoutException {
        Properties props = new Properties();
        props.putAll(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000",
                AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100",
                AdminClientConfig.CLIENT_ID_CONFIG, "weir-compat-readiness"));
        try (Admin admin = Admin.create(props)) {
            return !admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                    .nodes().get(6, TimeUnit.SECONDS).isEmpty();
        }
    }

    @Override
    public String toString() {
        return name + "@" + bootstrapServers();
    }
}
