#!/usr/bin/env bash
# End-to-end benchmark: Weir and a real Apache Kafka 4.4 broker on this machine, in the same run,
# alternating, with Kafka's own perf tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency).
#
#   bench/run.sh [ROUNDS] [RECORDS]        (defaults: 5 rounds, 1,000,000 records of 1,000 B)
#   BENCH_SECURITY=sasl_ssl bench/run.sh   the perf clients go over SASL_SSL with SCRAM-SHA-512 on
#                                          both brokers (certificates made here with keytool)
#
# Prints cold start and idle RSS of both, per-round figures, medians and Weir/Kafka ratios, and
# writes them to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
RECORDS=${2:-1000000}
SIZE=1000
E2E_RECORDS=${E2E_RECORDS:-5000}
COLD_STARTS=${COLD_STARTS:-5}
PARTITIONS_LIST=${PARTITIONS_LIST:-"1 8"}
SECURITY=${BENCH_SECURITY:-plaintext}
case "$SECURITY" in plaintext|sasl_ssl) ;; *) echo "BENCH_SECURITY must be plaintext or sasl_ssl" >&2; exit 2 ;; esac
WORK=bench/target/run
LIB=bench/target/lib
mkdir -p bench/results "$WORK"
rm -rf "${WORK:?}"/*

[ -f gateway/target/weir-gateway.jar ] && [ -f gateway/target/weir.jsa ] || mvn -q -DskipTests package
[ -d "$LIB" ] || mvn -q -f bench/pom.xml dependency:copy-dependencies -DoutputDirectory="$(pwd)/$LIB"
CP="$LIB/*"

# --- TLS + SCRAM (BENCH_SECURITY=sasl_ssl): a CA and a server certificate for 127.0.0.1, made now ---
PKI=$WORK/pki
CLIENT_CONFIG=$WORK/client.properties
: >"$CLIENT_CONFIG"
if [ "$SECURITY" = sasl_ssl ]; then
  mkdir -p "$PKI"; PW=bench-pass
  kt() { keytool "$@" >/dev/null 2>&1; }
  kt -genkeypair -alias ca -dname CN=bench-ca -keyalg RSA -keysize 2048 -validity 2 -ext bc:c \
    -keystore "$PKI/ca.p12" -storetype PKCS12 -storepass $PW
  kt -exportcert -rfc -alias ca -keystore "$PKI/ca.p12" -storepass $PW -file "$PKI/ca.pem"
  kt -importcert -noprompt -alias ca -file "$PKI/ca.pem" -keystore "$PKI/trust.p12" -storetype PKCS12 -storepass $PW
  kt -genkeypair -alias server -dname CN=localhost -keyalg RSA -keysize 2048 -validity 2 \
    -keystore "$PKI/server.p12" -storetype PKCS12 -storepass $PW
  kt -certreq -alias server -keystore "$PKI/server.p12" -storepass $PW -file "$PKI/server.csr"
  kt -gencert -rfc -alias ca -keystore "$PKI/ca.p12" -storepass $PW -infile "$PKI/server.csr" \
    -outfile "$PKI/server.pem" -ext SAN=ip:127.0.0.1,dns:localhost -validity 2
  kt -importcert -noprompt -alias ca -file "$PKI/ca.pem" -keystore "$PKI/server.p12" -storepass $PW
  kt -importcert -alias server -file "$PKI/server.pem" -keystore "$PKI/server.p12" -storepass $PW
  SCRAM_USER='SCRAM-SHA-512=[name=bench,password=bench-secret]'
  cat >"$CLIENT_CONFIG" <<CONF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="bench" password="bench-secret";
ssl.truststore.type=PKCS12
ssl.truststore.location=$PKI/trust.p12
ssl.truststore.password=$PW
CONF
  # The same keys on both brokers, for the SASL_SSL listener.
  TLS_KEYS=(sasl.enabled.mechanisms=SCRAM-SHA-512
    listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="org.apache.kafka.common.security.scram.ScramLoginModule required;"
    listener.name.sasl_ssl.ssl.keystore.type=PKCS12 listener.name.sasl_ssl.ssl.keystore.location=$PKI/server.p12
    listener.name.sasl_ssl.ssl.keystore.password=$PW)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Milliseconds from $2 (epoch ns at launch) until the broker on port $1 answers a Metadata request.
# The probe is a raw Metadata v1 request from Python, so no client JVM start is in the figure.
await_metadata() {
  python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
port, launched = int(sys.argv[1]), int(sys.argv[2])
client = b"bench-probe"
body = struct.pack(">hhih", 3, 1, 1, len(client)) + client + struct.pack(">i", -1)
deadline = time.time() + 120
while time.time() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
            if size > 4:
                print((time.time_ns() - launched) // 1_000_000)
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.005)
sys.exit("no Metadata answer within 120 s")
PY
}
rss_mb() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
# CPU seconds (user + system) a process has used so far; the name in /proc/PID/stat may hold spaces.
cpu_s() { sed 's/.*) //' "/proc/$1/stat" | awk '{printf "%.2f", ($12 + $13) / 100}'; }
# Runs a client command; its stdout goes to $CLIENT_OUT, its CPU seconds (user + system) to $CLIENT_CPU.
client() {
  local t; t=$(mktemp)
  { TIMEFORMAT='%U %S'; time "$@" >"$WORK/client.out" 2>/dev/null; } 2>"$t"
  CLIENT_OUT=$(cat "$WORK/client.out"); CLIENT_CPU=$(awk '{printf "%.2f", $1 + $2}' "$t"); rm -f "$t"
}

# --- Weir: durable (fsync on every group commit); no initial rebalance delay, as Kafka's config below ---
# Starts Weir on a fresh data directory; sets WEIR_PORT, WEIR_PID and WEIR_START_MS.
start_weir() {
  rm -rf "$WORK/weir-data"
  WEIR_PORT=$(free_port); WEIR_CLIENT_PORT=$WEIR_PORT
  local listeners=PLAINTEXT://127.0.0.1:$WEIR_PORT extra=()
  if [ "$SECURITY" = sasl_ssl ]; then
    WEIR_CLIENT_PORT=$(free_port); listeners+=",SASL_SSL://127.0.0.1:$WEIR_CLIENT_PORT"
    for kv in "${TLS_KEYS[@]}"; do extra+=(--set "$kv"); done
    extra+=(--add-scram "$SCRAM_USER")
  fi
  local launched; launched=$(date +%s%N)
  java -Xmx1G -Xms1G -XX:SharedArchiveFile=gateway/target/weir.jsa -jar gateway/target/weir-gateway.jar \
    --set listeners=$listeners "${extra[@]}" \
    --set log.dir="$WORK/weir-data" --set storage.sync=true --set group.initial.rebalance.delay.ms=0 \
    >"$WORK/weir.log" 2>&1 &
  WEIR_PID=$!
  PIDS+=($WEIR_PID)
  WEIR_START_MS=$(await_metadata "$WEIR_PORT" "$launched")
}

# --- Apache Kafka 4.4, KRaft combined mode, as kafka-server-start.sh runs it ---
# Formats a fresh log directory and starts Kafka; sets KAFKA_PORT, KAFKA_PID and KAFKA_START_MS.
start_kafka() {
  rm -rf "$WORK/kafka-data"
  KAFKA_PORT=$(free_port); local ctrl_port; ctrl_port=$(free_port); KAFKA_CLIENT_PORT=$KAFKA_PORT
  local tls_listener="" format_extra=()
  if [ "$SECURITY" = sasl_ssl ]; then
    KAFKA_CLIENT_PORT=$(free_port); tls_listener=",SASL_SSL://127.0.0.1:$KAFKA_CLIENT_PORT"
    format_extra=(--add-scram "$SCRAM_USER")
  fi
  cat >"$WORK/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$ctrl_port
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT$tls_listener,CONTROLLER://127.0.0.1:$ctrl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT$tls_listener
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$WORK/kafka-data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  if [ "$SECURITY" = sasl_ssl ]; then printf '%s\n' "${TLS_KEYS[@]}" >>"$WORK/server.properties"; fi
  local uuid; uuid=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  java -cp "$CP" kafka.tools.StorageTool format --standalone -t "$uuid" -c "$WORK/server.properties" \
    "${format_extra[@]}" >/dev/null 2>&1
  local launched; launched=$(date +%s%N)
  java -Xmx1G -Xms1G -XX:+UseG1GC -cp "$CP" kafka.Kafka "$WORK/server.properties" >"$WORK/kafka.log" 2>&1 &
  KAFKA_PID=$!
  PIDS+=($KAFKA_PID)
  KAFKA_START_MS=$(await_metadata "$KAFKA_PORT" "$launched")
}

# Cold start is one launch per sample on a noisy machine: take COLD_STARTS alternating launches of
# each and report the median. The last launch of each stays up for the rounds.
WEIR_STARTS=(); KAFKA_STARTS=()
for i in $(seq 1 "$COLD_STARTS"); do
  start_weir; WEIR_STARTS+=("$WEIR_START_MS")
  if [ "$i" -lt "$COLD_STARTS" ]; then kill "$WEIR_PID"; wait "$WEIR_PID" 2>/dev/null || true; fi
  start_kafka; KAFKA_STARTS+=("$KAFKA_START_MS")
  if [ "$i" -lt "$COLD_STARTS" ]; then kill "$KAFKA_PID"; wait "$KAFKA_PID" 2>/dev/null || true; fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
WEIR_START_MS=$(median "${WEIR_STARTS[@]}"); KAFKA_START_MS=$(median "${KAFKA_STARTS[@]}")

sleep 5 # idle: let both settle before reading their resident memory
WEIR_RSS=$(rss_mb $WEIR_PID); KAFKA_RSS=$(rss_mb $KAFKA_PID)

OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)$([ "$SECURITY" = plaintext ] || echo "-$SECURITY").txt
{
  echo "# $(date -u) rounds=$ROUNDS records=$RECORDS size=$SIZE acks=all linger.ms=5 batch.size=65536 security=$SECURITY"
  echo "# $(nproc) cores; $(java -version 2>&1 | head -1)"
  echo "start weir_cold_start_ms=$WEIR_START_MS kafka_cold_start_ms=$KAFKA_START_MS"
  echo "start_samples weir=$(IFS=,; echo "${WEIR_STARTS[*]}") kafka=$(IFS=,; echo "${KAFKA_STARTS[*]}")"
  echo "rss weir_idle_rss_mb=$WEIR_RSS kafka_idle_rss_mb=$KAFKA_RSS"
  echo "target partitions round produce_MBps avg_ms p99_ms consume_MBps e2e_p50_ms e2e_p99_ms e2e_p999_ms" \
    "produce_broker_cpu_s produce_client_cpu_s consume_broker_cpu_s consume_client_cpu_s"
} | tee "$OUT"

for r in $(seq 1 "$ROUNDS"); do
  for parts in $PARTITIONS_LIST; do
    for target in weir kafka; do
      # Topics are made over PLAINTEXT; the perf clients go over the listener under test ($CLIENT_CONFIG).
      if [ $target = weir ]; then ADMIN=127.0.0.1:$WEIR_PORT; BS=127.0.0.1:$WEIR_CLIENT_PORT; BPID=$WEIR_PID
      else ADMIN=127.0.0.1:$KAFKA_PORT; BS=127.0.0.1:$KAFKA_CLIENT_PORT; BPID=$KAFKA_PID; fi
      topic="perf-p$parts-r$r"
      java -cp "$CP" org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADMIN" --create --topic "$topic" \
        --partitions "$parts" --replication-factor 1 >/dev/null
      before=$(cpu_s "$BPID")
      client java -cp "$CP" org.apache.kafka.tools.ProducerPerformance --topic "$topic" --num-records "$RECORDS" \
        --record-size $SIZE --throughput -1 --command-config "$CLIENT_CONFIG" \
        --producer-props bootstrap.servers="$BS" acks=all linger.ms=5 batch.size=65536
      pbcpu=$(echo "$(cpu_s "$BPID") $before" | awk '{printf "%.2f", $1 - $2}'); pccpu=$CLIENT_CPU
      prod=$(tail -1 <<<"$CLIENT_OUT")
      mbps=$(sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/' <<<"$prod")
      avg=$(sed -E 's/.* ([0-9.]+) ms avg latency.*/\1/' <<<"$prod")
      p99=$(sed -E 's/.* ([0-9.]+) ms 99th,.*/\1/' <<<"$prod")
      # ConsumerPerformance joins a group and reads the records back; its MB.sec column is the 4th.
      before=$(cpu_s "$BPID")
      client java -cp "$CP" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BS" --topic "$topic" \
        --num-records "$RECORDS" --group "bench-$topic" --timeout 60000 --hide-header --command-config "$CLIENT_CONFIG"
      cbcpu=$(echo "$(cpu_s "$BPID") $before" | awk '{printf "%.2f", $1 - $2}'); cccpu=$CLIENT_CPU
      cons=$(tail -1 <<<"$CLIENT_OUT")
      cmbps=$(awk -F', *' '{print $4}' <<<"$cons")
      # EndToEndLatency: one record at a time, produced with acks=all and consumed, on a 1-partition topic.
      e2e_topic="e2e-p$parts-r$r"
      java -cp "$CP" org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADMIN" --create --topic "$e2e_topic" \
        --partitions 1 --replication-factor 1 >/dev/null
      e2e=$(java -cp "$CP" org.apache.kafka.tools.EndToEndLatency --bootstrap-server "$BS" --topic "$e2e_topic" \
        --num-records "$E2E_RECORDS" --producer-acks all --record-size $SIZE --command-config "$CLIENT_CONFIG" \
        2>/dev/null | grep Percentiles)
      e50=$(sed -E 's/.*50th = ([0-9.]+).*/\1/' <<<"$e2e")
      e99=$(sed -E 's/.*99th = ([0-9.]+).*/\1/' <<<"$e2e")
      e999=$(sed -E 's/.*99\.9th = ([0-9.]+).*/\1/' <<<"$e2e")
      echo "$target $parts $r $mbps $avg $p99 $cmbps $e50 $e99 $e999 $pbcpu $pccpu $cbcpu $cccpu" | tee -a "$OUT"
    done
  done
done

echo | tee -a "$OUT"
echo "medians (ratio = weir / kafka; for latencies, below 1 is better)" | tee -a "$OUT"
python3 - "$OUT" <<'PY' | tee -a "$OUT"
import sys, statistics as st
lines = open(sys.argv[1]).read().split("\n")
rows = [l.split() for l in lines if l[:4] in ("weir", "kafk")]
kv = dict(p.split("=") for l in lines if l.startswith(("start ", "rss ")) for p in l.split()[1:])
def ratio(a, b):
    return a / b if b else float("nan")
print(f"{'partitions':>10} {'metric':>20} {'weir':>9} {'kafka':>9} {'ratio':>7}   per-round ratios")
for name in ("cold_start_ms", "idle_rss_mb"):
    w, k = float(kv["weir_" + name]), float(kv["kafka_" + name])
    print(f"{'-':>10} {name:>20} {w:>9.0f} {k:>9.0f} {ratio(w, k):>7.2f}")
for p in sorted({int(r[1]) for r in rows}):
    for i, name in ((3, "produce MB/s"), (4, "produce avg ms"), (5, "produce p99 ms"), (6, "consume MB/s"),
                    (7, "e2e p50 ms"), (8, "e2e p99 ms"), (9, "e2e p99.9 ms"),
                    (10, "produce broker cpu s"), (11, "producer cpu s"),
                    (12, "consume broker cpu s"), (13, "consumer cpu s")):
        w = [float(r[i]) for r in rows if r[0] == "weir" and int(r[1]) == p]
        k = [float(r[i]) for r in rows if r[0] == "kafka" and int(r[1]) == p]
        per = " ".join(f"{ratio(a, b):.2f}" for a, b in zip(w, k))
        mw, mk = st.median(w), st.median(k)
        print(f"{p:>10} {name:>20} {mw:>9.1f} {mk:>9.1f} {ratio(mw, mk):>7.2f}   {per}")
PY
echo "results: $OUT"
