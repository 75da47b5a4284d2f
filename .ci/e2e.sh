#!/usr/bin/env bash
# Browser test of the classroom page (`ccgsim serve`): headless Debian chromium
# driven by playwright-core, run by node's test runner. Installs what it needs.
# Set CCGSIM_SCREENSHOT=docs/img/classroom.png to refresh the committed screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
command -v npm >/dev/null || apt-get install -y -qq nodejs npm >/dev/null
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release --bin ccgsim
bin="${CARGO_TARGET_DIR:-target}/release/ccgsim"

log=$(mktemp)
shots=$(mktemp -d)
"$bin" serve --host 127.0.0.1 --port 0 >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$log" "$shots"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$log" || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "ccgsim serve did not start:" >&2
  cat "$log" >&2
  exit 1
fi
echo "e2e: classroom page at $url"
CCGSIM_URL="$url" CCGSIM_SCREENSHOT="${CCGSIM_SCREENSHOT:-$shots/classroom.png}" \
  timeout 600 node --test tests/e2e/classroom.test.mjs
