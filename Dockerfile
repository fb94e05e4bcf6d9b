# Weir gateway image. Build: docker build -t weir . ; run: docker run -p 9092:9092 -v weir-data:/data weir
# (No Docker engine runs on the development machine; this file is kept correct by reading.)

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY .mvn .mvn
COPY storage/pom.xml storage/
COPY gateway/pom.xml gateway/
COPY compat-tests/pom.xml compat-tests/
COPY storage/src storage/src
COPY gateway/src gateway/src
COPY config config
RUN mvn -q -pl storage,gateway -am -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system weir && useradd --system --gid weir --home-dir /opt/weir weir \
    && mkdir -p /opt/weir /data && chown weir:weir /data
WORKDIR /opt/weir
COPY --from=build /src/gateway/target/weir-gateway.jar /opt/weir/weir-gateway.jar
COPY --from=build /src/config/gateway.properties /opt/weir/gateway.properties
USER weir
VOLUME /data
EXPOSE 9092
# Listen on all interfaces inside the container; tell clients to use localhost:9092 unless overridden
# (set WEIR_ADVERTISED_LISTENERS=PLAINTEXT://<host>:9092 for remote clients).
ENV WEIR_LISTENERS=PLAINTEXT://0.0.0.0:9092 \
    WEIR_ADVERTISED_LISTENERS=PLAINTEXT://localhost:9092 \
    WEIR_LOG_DIR=/data
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:+UseG1GC", "-jar", "/opt/weir/weir-gateway.jar", "--config", "/opt/weir/gateway.properties"]
