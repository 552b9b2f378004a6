#!/usr/bin/env bash
# Authenticated reads against the bare-route limit, in one run on one machine (bench/README.md):
# `tresor serve` on SQLite and the bare route (bench/bare_route.rs: actix-web verifying the same
# EdDSA token, a 300-byte answer, nothing else) side by side, each under wrk -t2 -c32 in turn.
# Prints requests/s, p50/p99 and server CPU per request (from /proc) for each.
#   DURATION=20s bash bench/reads.sh   (BENCH_NO_BUILD=1: target/release as it is; BENCH_BIN: another tresor binary)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
BARE_PORT=$(free_port)
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet --bin tresor --example bare_route

DATA=$(mktemp -d)
trap 'kill "${SERVER:-}" "${BARE:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TRESOR_DATA_DIR=$DATA RUST_LOG=warn TRESOR_BIND=127.0.0.1:$PORT
BASE=http://127.0.0.1:$PORT
BIN=${BENCH_BIN:-target/release/tresor}
PASSWORD="correct horse battery staple 42"

"$BIN" migrate 2>/dev/null
echo "$PASSWORD" | "$BIN" admin create --email reader@example.com --full-name "Reader One" --role customer --password-stdin >/dev/null
python3 - "$DATA/tresor.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE users SET kyc_status = 'approved' WHERE email = 'reader@example.com'")
db.commit()
PY
"$BIN" serve & SERVER=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -H 'content-type: application/json' -d "{\"email\":\"reader@example.com\",\"password\":\"$PASSWORD\"}" \
  "$BASE/v1/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
ACCOUNT=$(curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"kind":"checking","currency":"USD"}' "$BASE/v1/accounts" | sed -E 's/.*"id":"([^"]+)".*/\1/')

target/release/examples/bare_route "127.0.0.1:$BARE_PORT" > "$DATA/bare.out" & BARE=$!
for _ in $(seq 1 100); do [ -s "$DATA/bare.out" ] && curl -s -o /dev/null "http://127.0.0.1:$BARE_PORT/me" && break; sleep 0.1; done
BARE_TOKEN=$(head -n1 "$DATA/bare.out")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure LABEL PID URL TOKEN PATH
measure() {
  local label=$1 pid=$2 base=$3 token=$4 path=$5 before after out requests rps p50 p99 errors
  before=$(cpu_ticks "$pid")
  out=$(BENCH_TOKEN=$token BENCH_PATH=$path wrk -t2 -c32 -d"$DURATION" --latency -s bench/api_get.lua "$base")
  after=$(cpu_ticks "$pid")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  local cpu_us=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests ))
  printf '| %s | %s | %s | %s | %s µs | %s |\n' "$label" "$rps" "$p50" "$p99" "$cpu_us" "${errors:-0}"
  echo "$rps" > "$DATA/rps-$label"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); wrk -t2 -c32 -d$DURATION"
echo "| route | requests/s | p50 | p99 | server CPU / request | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- |"
measure bare "$BARE" "http://127.0.0.1:$BARE_PORT" "$BARE_TOKEN" /me
measure me "$SERVER" "$BASE" "$TOKEN" /v1/users/me
measure accounts "$SERVER" "$BASE" "$TOKEN" /v1/accounts
measure account "$SERVER" "$BASE" "$TOKEN" "/v1/accounts/$ACCOUNT"
bare=$(cat "$DATA/rps-bare")
for route in me accounts account; do
  echo "$route: $(( $(cat "$DATA/rps-$route") * 100 / bare )) % of the bare route"
done
