#!/usr/bin/env bash
# Where a read's server CPU goes (bench/README.md): `perf record` on `tresor serve` (SQLite) while
# wrk drives GET /v1/users/me (32 connections), then the samples grouped by what they are in.
# Needs perf and wrk.
#   bash bench/reads_profile.sh [tresor binary] [seconds]     (default target/release/tresor, 10)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/tresor}
SECONDS_RUN=${2:-10}
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TRESOR_DATA_DIR=$DATA RUST_LOG=warn TRESOR_BIND=127.0.0.1:$PORT
BASE=http://127.0.0.1:$PORT
PASSWORD="correct horse battery staple 42"
"$BIN" migrate 2>/dev/null
echo "$PASSWORD" | "$BIN" admin create --email reader@example.com --full-name "Reader One" --role customer --password-stdin >/dev/null
"$BIN" serve & SERVER=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -H 'content-type: application/json' -d "{\"email\":\"reader@example.com\",\"password\":\"$PASSWORD\"}" \
  "$BASE/v1/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
BENCH_TOKEN=$TOKEN BENCH_PATH=/v1/users/me wrk -t2 -c32 -d"$((SECONDS_RUN + 4))s" -s bench/api_get.lua "$BASE" > "$DATA/wrk.txt" &
sleep 2
perf record -F 999 -p "$SERVER" -o "$DATA/perf.data" -- sleep "$SECONDS_RUN" 2> /dev/null
wait %2 2>/dev/null || true
echo "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$DATA/wrk.txt") requests/s; share of the server's samples:"
perf report -i "$DATA/perf.data" --no-children --sort dso,sym --stdio 2> /dev/null | awk '
  /^ +[0-9.]+%/ {
    share = $1; sub("%", "", share); line = $0
    group = "other (actix-web, tokio, serde, middleware, the handler)"
    if (line ~ /\[k\]/) group = "kernel (network, scheduling, futex)"
    else if (line ~ /sqlite3|sqlite/) group = "SQLite (sqlite3_*)"
    else if (line ~ /flume|crossbeam|channel|park|unpark|futex|Notify|notify/) group = "handing work between threads (channels, wake-ups)"
    else if (line ~ /mi_|mimalloc|_mi_/) group = "allocator (mimalloc)"
    else if (line ~ /chacha|poly1305|aead|Aead/) group = "decrypting personal data"
    else if (line ~ /sqlx/) group = "sqlx (pool, statements, rows)"
    else if (line ~ /tracing|Span|span/) group = "tracing spans"
    else if (line ~ /libc\.so/) group = "libc (memcpy, syscalls)"
    total[group] += share
  }
  END { for (g in total) printf "  %5.1f %%  %s\n", total[g], g }' | sort -rn
