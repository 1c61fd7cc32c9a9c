#!/usr/bin/env bash
# make setup: npm dependencies, a Docker engine, the node image. Idempotent, non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
