# Weir gateway image. It packages the jar the Maven build made; build that first:
#   mvn -q -DskipTests package
#   docker build -t weir .                                                   (public base image)
#   docker build --build-arg BASE_IMAGE=local/debian:bookworm -t weir .      (base made by .ci/docker-engine.sh)
# Run: docker run -p 9092:9092 -v weir-data:/data weir
# Listeners: PLAINTEXT on 9092 advertised as localhost:9092 (clients on the host, with -p 9092:9092),
# BROKER on 9093 advertised as the container's host name (clients in other containers); override
# with WEIR_ADVERTISED_LISTENERS. Any gateway key is set by WEIR_<KEY> or by --set key=value arguments.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system weir \
    && useradd --system --gid weir --home-dir /opt/weir --no-create-home --shell /usr/sbin/nologin weir \
    && mkdir -p /opt/weir/bin /data \
    && chown weir:weir /data

COPY gateway/target/weir-gateway.jar /opt/weir/weir-gateway.jar
COPY config/gateway.properties /opt/weir/gateway.properties
COPY docker/weir-entrypoint docker/weir-healthcheck /opt/weir/bin/

# The class archive (AppCDS) made by this image's own JVM, as the Maven build makes
# gateway/target/weir.jsa: a training run of a gateway and real clients; a gateway started with it
# maps the classes instead of loading them, and starts about twice as fast.
RUN chmod 0755 /opt/weir/bin/weir-entrypoint /opt/weir/bin/weir-healthcheck \
    && WEIR_LOG_LEVEL=WARN java -XX:ArchiveClassesAtExit=/opt/weir/weir.jsa -Xlog:cds=off -Xlog:cds+dynamic=off \
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        -cp /opt/weir/weir-gateway.jar dev.weir.gateway.CdsTraining \
    && chmod 0644 /opt/weir/weir.jsa \
    && rm -rf /tmp/*

USER weir
WORKDIR /opt/weir
VOLUME /data
EXPOSE 9092 9093
ENV WEIR_LOG_DIR=/data \
    WEIR_LISTENERS=PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093 \
    WEIR_LISTENER_SECURITY_PROTOCOL_MAP=PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL \
    WEIR_HEALTHCHECK_PORT=9093
# A Kafka ApiVersions request on WEIR_HEALTHCHECK_PORT, healthy when the gateway answers it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/opt/weir/bin/weir-healthcheck"]
# The gateway's shutdown hook closes the listeners and the store; docker stop waits for it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/weir/bin/weir-entrypoint"]
CMD []
