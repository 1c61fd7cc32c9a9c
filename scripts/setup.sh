#!/usr/bin/env bash
# make setup: npm dependencies, a Docker engine, the node image. Idempotent, non-interactive.
#
# 1. npm install (only when package.json changed), and the CLI bundle dist/cli.mjs
#    (scripts/build-cli.mjs; bin/faultline also rebuilds it whenever a source is newer).
# 2. A Docker engine that answers `docker info`. When none does and we are root on Debian,
#    install Debian's docker.io (+ iptables, debootstrap) and start dockerd in the background,
#    its log in .cache/dockerd.log. Otherwise say in one sentence how to get one and exit 5.
# 3. The node image faultline-node:<recipe hash> (harness/image/build.sh; cached, so a second
#    setup takes seconds).
# 4. Chromium, for the tests that drive the store browser (`faultline serve`) and the report in
#    headless Chromium: Debian's chromium when we are root on Debian and none is installed.
#    A failed install does not stop the setup (a run does not need Chromium); those tests then
#    fail, saying how to install it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
node scripts/build-cli.mjs

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

fail_env() {
  echo "setup: $1" >&2
  exit 5
}

apt_updated=""
apt_update() {
  if [ -z "$apt_updated" ]; then
    apt-get update -qq
    apt_updated=1
  fi
}

is_debian_root() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

ensure_engine() {
  if command -v docker >/dev/null && engine_answers; then return 0; fi

  if [ -n "${DOCKER_HOST:-}" ]; then
    fail_env "No Docker engine answers at DOCKER_HOST=$DOCKER_HOST; start that engine or unset DOCKER_HOST to use a local one."
  fi
  if ! is_debian_root; then
    fail_env "No Docker engine answers; install and start Docker (https://docs.docker.com/engine/install/), or run this setup as root on Debian so it can install docker.io itself."
  fi

  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null \
    || ! command -v iptables >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "setup: installing Debian's docker.io, iptables and debootstrap"
    apt_update
    apt-get install -y -qq docker.io iptables debootstrap >/dev/null
  fi

  mkdir -p .cache
  if ! pgrep -x dockerd >/dev/null; then
    echo "setup: starting dockerd in the background (log: .cache/dockerd.log)"
    # setsid + nohup: the daemon outlives this script and the make that ran it.
    setsid nohup dockerd >.cache/dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    if engine_answers; then
      echo "setup: Docker engine is up"
      return 0
    fi
    sleep 1
  done
  tail -n 20 .cache/dockerd.log >&2 || true
  fail_env "dockerd did not answer within 60 s; see .cache/dockerd.log above for why."
}

have_chromium() {
  [ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-headless-shell >/dev/null
}

ensure_chromium() {
  if have_chromium; then return 0; fi
  if ! is_debian_root; then
    echo "setup: no Chromium: the browser tests will fail until one is installed (apt-get install chromium, or set CHROMIUM to a Chromium binary)." >&2
    return 0
  fi
  echo "setup: installing Debian's chromium (for the browser tests)"
  if ! { apt_update && apt-get install -y -qq chromium >/dev/null; }; then
    echo "setup: installing chromium failed (see apt-get's message above); the browser tests will fail until it is installed." >&2
  fi
}

ensure_engine
bash harness/image/build.sh
ensure_chromium
