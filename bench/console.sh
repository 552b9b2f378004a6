#!/usr/bin/env bash
# Staff console pages beside the API they are built on, under the same load, in one run: wrk
# -t2 -c32 against GET /v1/users/me and two staff API reads (a bearer token), then console pages (the cookie
# session of an admin with TOTP), on a release build on SQLite with 50 customers' accounts and
# transfers in the database. Needs wrk (apt-get install wrk) and python3.
# BENCH_NO_BUILD=1 uses the release binaries already in target/release.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
PORT=${PORT_BENCH:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BIN=target/release/tresor
PASSWORD="correct horse battery staple 42"
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet -p tresor -p tresor-bench

DATA=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
# shellcheck source=bench/ledger_env.sh
. bench/ledger_env.sh
ledger_env "$DATA" "$PORT"
export RUST_LOG=warn DATABASE_URL="sqlite://$DATA/tresor.db"
BASE=http://127.0.0.1:$PORT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD)"
"$BIN" migrate 2>/dev/null
echo "$PASSWORD" | "$BIN" admin create --email staff@example.com --full-name "Bench Staff" --role admin \
    --password-stdin >/dev/null
"$BIN" serve & SERVER=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.1; done
# Something to show: customers, their accounts and a few seconds of transfers.
target/release/tresor-load --base-url "$BASE" --tresor "$BIN" --users 50 --accounts 1000 --workload uniform \
    --concurrency 16 --duration 5 --label "seed" >/dev/null
mapfile -t SESSION < <(python3 bench/console_session.py "$BASE" staff@example.com "$PASSWORD")
export BENCH_COOKIE=${SESSION[0]} BENCH_TOKEN=${SESSION[1]}

report() { grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"; }
echo "== GET /v1/users/me (the API), wrk -t2 -c32 -d$DURATION"
wrk -t2 -c32 -d"$DURATION" --latency -s bench/me.lua "$BASE" | report
# The staff API reads the pages are built on (audited reads, like every console page).
for path in /v1/admin/users /v1/admin/accounts; do
    echo "== GET $path (the staff API), wrk -t2 -c32 -d$DURATION"
    BENCH_PATH=$path wrk -t2 -c32 -d"$DURATION" --latency -s bench/api_get.lua "$BASE" | report
done
for page in /console /console/users /console/accounts /console/audit; do
    echo "== GET $page (console), wrk -t2 -c32 -d$DURATION"
    BENCH_PATH=$page wrk -t2 -c32 -d"$DURATION" --latency -s bench/console.lua "$BASE" | report
done
