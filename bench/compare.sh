#!/usr/bin/env bash
# Alternating ledger runs under several settings, to choose between them on a noisy machine:
#   bench/compare.sh WORKLOAD SECONDS ROUNDS VARIANT...
# WORKLOAD is hot (1,000 accounts) or uniform (10,000). Each VARIANT is a space-separated list of
# environment assignments for `tresor serve`, e.g. "TRESOR__LEDGER__COMMITTERS=2"; TRESOR_BIN in
# a variant runs another build of the server (default target/release/tresor). Every round runs
# each variant once (every other round in reverse order), on a fresh PostgreSQL database
# (DB=sqlite: a fresh SQLite file), and prints one line per run.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/ledger_env.sh
. bench/ledger_env.sh
workload=$1 seconds=$2 rounds=$3
shift 3
export PGOPTIONS=--client-min-messages=warning
pg_base=${PG_BASE:-postgres://postgres:postgres@127.0.0.1:5432}
port=${PORT_UNDER_TEST:-18182}
accounts=$([ "$workload" = hot ] && echo 1000 || echo 10000)
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet -p tresor -p tresor-bench
work=$(mktemp -d)
trap 'if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

run() { # variant
    local variant=$1 db="tresor_compare_$$"
    rm -rf "$work/data"
    if [ "${DB:-postgres}" = sqlite ]; then
        mkdir -p "$work/data"
        url="sqlite://$work/data/tresor.db"
    else
        psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
        url="$pg_base/$db"
    fi
    (
        ledger_env "$work/data" "$port"
        export DATABASE_URL="$url" RUST_LOG=error
        # shellcheck disable=SC2086,SC2163 # a variant is a list of assignments
        export $variant
        bin=${TRESOR_BIN:-target/release/tresor}
        "$bin" migrate >/dev/null
        "$bin" serve & server=$!
        for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
        target/release/tresor-load --base-url "http://127.0.0.1:$port" --tresor "$bin" --users 50 \
            --accounts "$accounts" --workload "$workload" --concurrency 64 --duration "$seconds" \
            --label "$variant" 2>/dev/null | grep "transfers in"
        kill -TERM "$server"; wait "$server" 2>/dev/null || true
    )
    if [ "${DB:-postgres}" != sqlite ]; then
        psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    fi
}

echo "machine: $(nproc) cores, $(uname -sr); ${DB:-postgres}, $workload, $seconds s per run, $rounds rounds"
for round in $(seq 1 "$rounds"); do
    # Every other round runs the variants in reverse order, so that whatever favours a place in
    # the order (the previous run's deleted files, the page cache it left) falls on each alike.
    order=("$@")
    if [ $((round % 2)) -eq 0 ]; then
        order=()
        for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
    fi
    for variant in "${order[@]}"; do
        run "$variant"
    done
done
