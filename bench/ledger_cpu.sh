#!/usr/bin/env bash
# Where a transfer's CPU goes: drives the uniform (or hot) workload against `tresor serve` on
# PostgreSQL, once per engine, and over a steady window reads the CPU time the PostgreSQL
# processes, the server and the load generator used (/proc/<pid>/stat) and the transfers
# committed in it (journal entries), printing CPU µs per transfer for each and the idle share
# of the machine (idle + iowait, /proc/stat).
#   bench/ledger_cpu.sh [concurrency] [workload] [window seconds]
# Needs PostgreSQL on 127.0.0.1 (as .ci/run starts it) with its processes owned by `postgres`.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/ledger_env.sh
. bench/ledger_env.sh
concurrency=${1:-64} workload=${2:-uniform} window=${3:-8}
accounts=$([ "$workload" = hot ] && echo 1000 || echo 10000)
pg_base=${PG_BASE:-postgres://postgres:postgres@127.0.0.1:5432}
port=${PORT_UNDER_TEST:-18183}
export PGOPTIONS=--client-min-messages=warning
cargo build --release --quiet -p tresor -p tresor-bench
work=$(mktemp -d)
trap 'if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

ticks() { # summed utime + stime of the given pids, in clock ticks
    local sum=0 pid
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); fi
    done
    echo "$sum"
}

snapshot() { # postgres server load busy idle entries
    local db=$1 load
    load=$(pgrep -f "tresor-load --base-url http://127.0.0.1:$port" | head -n1)
    # shellcheck disable=SC2046 # one pid per word
    echo "$(ticks $(pgrep -u postgres)) $(ticks "$server") $(ticks "$load")" \
        "$(awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)" \
        "$(psql -qAt "$pg_base/$db" -c 'SELECT count(*) FROM journal_entries')"
}

run() { # engine
    local engine=$1 db="tresor_cpu_$$"
    psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
    rm -rf "$work/data"
    ledger_env "$work/data" "$port"
    export DATABASE_URL="$pg_base/$db" RUST_LOG=error TRESOR__LEDGER__ENGINE="$engine"
    target/release/tresor migrate >/dev/null
    target/release/tresor serve & server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
    : >"$work/load.out"
    target/release/tresor-load --base-url "http://127.0.0.1:$port" --tresor target/release/tresor \
        --users 50 --accounts "$accounts" --workload "$workload" --concurrency "$concurrency" \
        --duration $((window + 6)) --label "$engine" >"$work/load.out" 2>&1 &
    local load=$!
    until grep -q seeded "$work/load.out"; do sleep 0.2; done
    sleep 2 # past the first batches and the actors' first reads
    read -r pg0 sv0 ld0 busy0 idle0 n0 <<<"$(snapshot "$db")"
    sleep "$window"
    read -r pg1 sv1 ld1 busy1 idle1 n1 <<<"$(snapshot "$db")"
    wait "$load"
    kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=
    psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    local hz n=$((n1 - n0))
    hz=$(getconf CLK_TCK)
    awk -v e="$engine" -v n="$n" -v w="$window" -v hz="$hz" -v pg=$((pg1 - pg0)) -v sv=$((sv1 - sv0)) \
        -v ld=$((ld1 - ld0)) -v busy=$((busy1 - busy0)) -v idle=$((idle1 - idle0)) 'BEGIN {
            us = 1e6 / hz / n
            printf "%-7s %6.0f transfers/s | CPU µs per transfer: PostgreSQL %4.0f, server %4.0f, load %3.0f, machine %4.0f | idle %2.0f%%\n",
                e, n / w, pg * us, sv * us, ld * us, busy * us, 100 * idle / (busy + idle) }'
    grep "transfers in" "$work/load.out" | sed 's/^/        /'
}

echo "machine: $(nproc) cores, $(uname -sr); $workload, $concurrency connections, ${window} s window"
run actors
run locked
