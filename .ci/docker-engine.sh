#!/usr/bin/env bash
# A Docker engine and the local base image for the container tests, on a machine without them.
#
#   .ci/docker-engine.sh up     when `docker info` does not answer: installs docker.io and debootstrap
#                               (apt, when missing), starts dockerd in the background and waits for it;
#                               then makes the image local/debian:bookworm from the machine's own Debian
#                               mirror when it is missing (no container registry is needed)
#   .ci/docker-engine.sh down   stops the dockerd that `up` started (by its PID), nothing else
#
# Needs root for the install and the engine. The engine's PID and log are kept in $WEIR_DOCKERD_DIR
# (default /tmp/weir-dockerd). .ci/run calls `up` before the tests and `down` when it exits.
set -euo pipefail

STATE_DIR=${WEIR_DOCKERD_DIR:-/tmp/weir-dockerd}
BASE_IMAGE=local/debian:bookworm
ENGINE_WAIT_SECONDS=60

log() {
  echo "docker-engine: $*"
}

engine_answers() {
  docker info >/dev/null 2>&1
}

# The first Debian mirror the machine's apt sources name (deb822 .sources files, then sources.list).
debian_mirror() {
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri=$(grep -h -i '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(grep -E '^deb ' /etc/apt/sources.list | grep -v -- '-security' | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' | head -n 1 || true)
  fi
  if [ -z "$uri" ]; then
    echo "docker-engine: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
    return 1
  fi
  echo "$uri"
}

# Installs the packages of the given commands that are missing: install_missing dockerd debootstrap
install_missing() {
  local missing=()
  local command
  for command in "$@"; do
    if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then
      case "$command" in
        dockerd) missing+=(docker.io) ;;
        *) missing+=("$command") ;;
      esac
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_engine() {
  mkdir -p "$STATE_DIR"
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  /usr/sbin/dockerd --storage-driver=overlay2 --bip=172.17.0.1/16 >"$STATE_DIR/dockerd.log" 2>&1 &
  echo $! >"$STATE_DIR/dockerd.pid"
  local waited=0
  until engine_answers; do
    if ! kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
      echo "docker-engine: dockerd exited; its log:" >&2
      tail -n 30 "$STATE_DIR/dockerd.log" >&2
      rm -f "$STATE_DIR/dockerd.pid"
      return 1
    fi
    if [ "$waited" -ge $((ENGINE_WAIT_SECONDS * 4)) ]; then
      echo "docker-engine: dockerd did not answer within ${ENGINE_WAIT_SECONDS}s" >&2
      tail -n 30 "$STATE_DIR/dockerd.log" >&2
      stop_engine
      return 1
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
  log "dockerd $(cat "$STATE_DIR/dockerd.pid") answers"
}

stop_engine() {
  local pid_file="$STATE_DIR/dockerd.pid"
  [ -f "$pid_file" ] || return 0
  local pid
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd $pid"
    kill -TERM "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 120 ]; do
      sleep 0.25
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "dockerd $pid did not stop in 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pid_file"
}

make_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  local mirror rootfs
  install_missing debootstrap
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /tmp/weir-rootfs.XXXXXX)
  log "making $BASE_IMAGE with debootstrap from $mirror"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    echo "docker-engine: debootstrap failed; its log:" >&2
    tail -n 30 "$rootfs.log" >&2
    rm -rf "$rootfs" "$rootfs.log"
    return 1
  fi
  # apt's caches add nothing to an image
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  log "$BASE_IMAGE made"
}

case "${1:-}" in
  up)
    if ! engine_answers; then
      install_missing dockerd debootstrap
      start_engine
    fi
    make_base_image
    ;;
  down)
    stop_engine
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
