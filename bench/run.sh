#!/usr/bin/env bash
# End-to-end benchmark: Weir and a real Apache Kafka 4.4 broker on this machine, in the same run,
# alternating, with Kafka's own ProducerPerformance and a Java consumer.
#
#   bench/run.sh [ROUNDS] [RECORDS]        (defaults: 3 rounds, 1,000,000 records of 1,000 B)
#
# Prints per-round figures, medians and Weir/Kafka ratios, and writes them to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
RECORDS=${2:-1000000}
SIZE=1000
PARTITIONS_LIST=${PARTITIONS_LIST:-"1 8"}
WORK=bench/target/run
LIB=bench/target/lib
mkdir -p bench/results "$WORK"
rm -rf "$WORK"/*

[ -f gateway/target/weir-gateway.jar ] || mvn -q -DskipTests package
[ -d "$LIB" ] || mvn -q -f bench/pom.xml dependency:copy-dependencies -DoutputDirectory="$(pwd)/$LIB"
mkdir -p bench/target/classes
javac -q -d bench/target/classes -cp "$LIB/*" bench/AssignedConsumerPerformance.java 2>/dev/null \
  || javac -d bench/target/classes -cp "$LIB/*" bench/AssignedConsumerPerformance.java
CP="$LIB/*:bench/target/classes"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_ready() { # bootstrap
  local deadline=$((SECONDS + 60))
  until java -cp "$CP" org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --list >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "broker at $1 did not become ready" >&2; exit 1; }
  done
}

# --- Weir: durable (fsync on every group commit) ---
WEIR_PORT=$(free_port)
java -Xmx1G -Xms1G -jar gateway/target/weir-gateway.jar --set listeners=PLAINTEXT://127.0.0.1:$WEIR_PORT \
  --set log.dir="$WORK/weir-data" --set storage.sync=true >"$WORK/weir.log" 2>&1 &
PIDS+=($!)

# --- Apache Kafka 4.4, KRaft combined mode, as kafka-server-start.sh runs it ---
KAFKA_PORT=$(free_port); CTRL_PORT=$(free_port)
cat >"$WORK/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$WORK/kafka-data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
UUID=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
java -cp "$CP" kafka.tools.StorageTool format --standalone -t "$UUID" -c "$WORK/server.properties" >/dev/null 2>&1
java -Xmx1G -Xms1G -XX:+UseG1GC -cp "$CP" kafka.Kafka "$WORK/server.properties" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!)

wait_ready 127.0.0.1:$WEIR_PORT
wait_ready 127.0.0.1:$KAFKA_PORT

OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt
echo "# $(date -u) rounds=$ROUNDS records=$RECORDS size=$SIZE acks=all linger.ms=5 batch.size=65536" | tee "$OUT"
echo "target partitions round produce_MBps avg_ms p99_ms consume_MBps" | tee -a "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  for parts in $PARTITIONS_LIST; do
    for target in weir kafka; do
      if [ $target = weir ]; then BS=127.0.0.1:$WEIR_PORT; else BS=127.0.0.1:$KAFKA_PORT; fi
      topic="perf-p$parts-r$r"
      java -cp "$CP" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BS" --create --topic "$topic" \
        --partitions "$parts" --replication-factor 1 >/dev/null
      prod=$(java -cp "$CP" org.apache.kafka.tools.ProducerPerformance --topic "$topic" --num-records "$RECORDS" \
        --record-size $SIZE --throughput -1 --producer-props bootstrap.servers="$BS" acks=all linger.ms=5 \
        batch.size=65536 2>/dev/null | tail -1)
      mbps=$(sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/' <<<"$prod")
      avg=$(sed -E 's/.* ([0-9.]+) ms avg latency.*/\1/' <<<"$prod")
      p99=$(sed -E 's/.* ([0-9.]+) ms 99th,.*/\1/' <<<"$prod")
      cons=$(java -cp "$CP" AssignedConsumerPerformance "$BS" "$topic" "$RECORDS" 2>/dev/null | tail -1)
      cmbps=$(sed -E 's/.*: ([0-9.]+) MB\/sec.*/\1/' <<<"$cons")
      echo "$target $parts $r $mbps $avg $p99 $cmbps" | tee -a "$OUT"
    done
  done
done

echo | tee -a "$OUT"
echo "medians (ratio = weir / kafka; latency ratios below 1 are better)" | tee -a "$OUT"
python3 - "$OUT" <<'PY' | tee -a "$OUT"
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if l[:4] in ("weir", "kafk")]
parts = sorted({int(r[1]) for r in rows})
print(f"{'partitions':>10} {'metric':>14} {'weir':>9} {'kafka':>9} {'ratio':>7}   per-round ratios")
for p in parts:
    for i, name in ((3, "produce MB/s"), (4, "avg ms"), (5, "p99 ms"), (6, "consume MB/s")):
        w = [float(r[i]) for r in rows if r[0] == "weir" and int(r[1]) == p]
        k = [float(r[i]) for r in rows if r[0] == "kafka" and int(r[1]) == p]
        per = " ".join(f"{a/b:.2f}" for a, b in zip(w, k) if b)
        mw, mk = st.median(w), st.median(k)
        print(f"{p:>10} {name:>14} {mw:>9.1f} {mk:>9.1f} {mw/mk if mk else float('nan'):>7.2f}   {per}")
PY
echo "results: $OUT"
