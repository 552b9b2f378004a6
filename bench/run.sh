#!/usr/bin/env bash
# Load benchmark of the identity endpoints against a release build on SQLite (bench/README.md).
# Measures, in one run on this machine: the argon2 bound, sign-ins per second under a flood, the
# latency of GET /v1/users/me during that flood, and GET /v1/users/me alone; /health/live is the
# baseline of a route that does nothing. Needs wrk (apt-get install wrk).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
USERS=${BENCH_USERS:-50}
PORT=${PORT_BENCH:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BIN=target/release/tresor
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release --bin tresor --example argon2_bound >/dev/null

DATA=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TRESOR_DATA_DIR=$DATA RUST_LOG=warn TRESOR_BIND=127.0.0.1:$PORT
export TRESOR__RATE_LIMITS__LOGIN_IP=off TRESOR__RATE_LIMITS__LOGIN_IP_EMAIL=off
BASE=http://127.0.0.1:$PORT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== baseline: argon2 on this machine"
target/release/examples/argon2_bound

"$BIN" migrate 2>/dev/null
for i in $(seq 0 $((USERS - 1))); do
  echo "correct horse battery staple 42" | "$BIN" admin create --email "bench$i@example.com" \
    --full-name "Bench $i" --role customer --password-stdin >/dev/null
done
"$BIN" serve & SERVER=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -H 'content-type: application/json' -d '{"email":"bench0@example.com","password":"correct horse battery staple 42"}' \
  "$BASE/v1/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
export BENCH_TOKEN=$TOKEN BENCH_USERS=$USERS

echo "== baseline: GET /health/live (no work), wrk -t2 -c32 -d$DURATION"
wrk -t2 -c32 -d"$DURATION" --latency "$BASE/health/live" | grep -E "Requests/sec|99%|50%"
echo "== authenticated GET /v1/users/me alone, wrk -t2 -c32 -d$DURATION"
wrk -t2 -c32 -d"$DURATION" --latency -s bench/me.lua "$BASE" | grep -E "Requests/sec|99%|50%|Non-2xx|Socket errors"
echo "== sign-in flood alone (wrk -t1 -c16 --timeout 10s -d$DURATION): sign-ins/s against the argon2 bound"
wrk -t1 -c16 -d"$DURATION" --timeout 10s -s bench/login.lua "$BASE" | grep -E "Requests/sec|Non-2xx|Latency|Socket errors|requests in"
echo "== sign-in flood (wrk -t1 -c16 --timeout 10s -d$DURATION) with GET /v1/users/me beside it (wrk -t1 -c4)"
wrk -t1 -c16 -d"$DURATION" --timeout 10s -s bench/login.lua "$BASE" > "$DATA/login.txt" &
FLOOD=$!
sleep 1
wrk -t1 -c4 -d"$DURATION" --latency -s bench/me.lua "$BASE" > "$DATA/me-during.txt" || true
wait $FLOOD
echo "-- sign-ins:"; grep -E "Requests/sec|Non-2xx|Latency|Socket errors|requests in" "$DATA/login.txt"
echo "-- GET /v1/users/me during the flood:"; grep -E "Requests/sec|99%|50%|Non-2xx|Socket errors" "$DATA/me-during.txt"
