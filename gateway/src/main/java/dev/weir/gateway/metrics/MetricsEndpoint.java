package dev.weir.gateway.metrics;

import com.codahale.metrics.MetricRegistry;
import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The HTTP side of the metrics: {@code /metrics} in Prometheus' text format, the registry exported
 * through Prometheus' own Dropwizard bridge; {@code /health} (200 while the process serves) and
 * {@code /ready} (200 while it accepts Kafka requests, 503 before and while it stops) for
 * orchestrators and container health checks.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HTTPServer server;

    private MetricsEndpoint(HTTPServer server) {
        this.server = server;
    }

    /** Binds {@code host:port} (port 0: a free one) and serves until closed. */
    public static MetricsEndpoint start(String host, int port, MetricRegistry metrics, KafkaMetrics kafka,
                                        BooleanSupplier ready) {
        PrometheusRegistry registry = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(metrics).metricFilter(kafka.prometheusFilter()).register(registry);
        try {
            return new MetricsEndpoint(HTTPServer.builder().hostname(host).port(port).registry(registry)
                    .defaultHandler(exchange -> status(exchange, ready))
                    .buildAndStart());
        } catch (IOException e) {
            throw new UncheckedIOException("metrics endpoint " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Every path but /metrics (and the exporter's /-/healthy) comes here. */
    private static void status(HttpExchange exchange, BooleanSupplier ready) throws IOException {
        String path = exchange.getRequestURI().getPath();
        int code;
        String body;
        if (path.equals("/health")) {
            code = 200;
            body = "UP\n";
        } else if (path.equals("/ready")) {
            boolean serving = ready.getAsBoolean();
            code = serving ? 200 : 503;
            body = serving ? "READY\n" : "NOT READY\n";
        } else {
            code = 404;
            body = "Weir: /metrics, /health, /ready\n";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
