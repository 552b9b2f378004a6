#!/usr/bin/env bash
# Resident memory of `tresor serve` on SQLite (release), in one run (bench/README.md): idle after
# start, then after a ledger run of uniform transfers (tresor-load, 10,000 accounts, 64
# connections), each as VmRSS with its anonymous (heap, stacks) and file-backed (the binary's
# pages) parts from /proc.
#   SECONDS_LOAD=15 bash bench/memory.sh   (BENCH_NO_BUILD=1: target/release as it is; BENCH_BIN: another tresor binary)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/ledger_env.sh
. bench/ledger_env.sh
load=${SECONDS_LOAD:-15}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet -p tresor -p tresor-bench
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
ledger_env "$work/data" "$port"
export DATABASE_URL="sqlite://$work/data/tresor.db" RUST_LOG=warn
bin=${BENCH_BIN:-target/release/tresor}

rss() { # label
  local status=/proc/$server/status
  printf '| %s | %s MB | %s MB | %s MB | %s |\n' "$1" \
    "$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "$status")" \
    "$(awk '/^RssAnon/ {printf "%.1f", $2 / 1024}' "$status")" \
    "$(awk '/^RssFile/ {printf "%.1f", $2 / 1024}' "$status")" \
    "$(awk '/^Threads/ {print $2}' "$status")"
}

"$bin" migrate
"$bin" serve & server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(uname -sr); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "| when | VmRSS | anonymous | file-backed | threads |"
echo "| --- | --- | --- | --- | --- |"
sleep 8
rss "idle, 8 s after start"
target/release/tresor-load --base-url "http://127.0.0.1:$port" --tresor "$bin" \
    --users 50 --accounts 10000 --workload uniform --concurrency 64 --duration "$load" --label sqlite/actors > "$work/load.txt"
rss "right after ${load} s of uniform transfers"
sleep 30
rss "30 s later, idle"
grep -E 'transfers/s|ok' "$work/load.txt" | head -3 || true
