#!/usr/bin/env bash
# Ledger benchmark, HTTP end to end: the same transfers against the account actors and against
# the row-locking baseline (engine = "locked"), then card authorizations (holds) on the hot
# account and on 10,000 cards, in one run, on one machine.
#   bench/ledger.sh [postgres|sqlite] [seconds] [engines|outbox]
# WORKLOADS (default "hot uniform card-hot card-uniform") and ENGINES ("actors locked") pick runs;
# the engine "same-rows" runs the same-rows limit instead (bench/same_rows.rs: the rows of the
# transfers in full batches, no HTTP; not for the card workloads).
# `outbox` instead compares the actors with the events outbox on and off (`[events] outbox`),
# alternating on/off twice per workload so that drift on the machine hits both alike.
# Needs PostgreSQL on 127.0.0.1 for the postgres variant (as .ci/run starts it); PG_QUERY is appended
# to its database URL (e.g. '?sslmode=disable'; by default the connection uses TLS when the server offers it).
# BENCH_NO_BUILD=1 uses the release binaries already in target/release.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/ledger_env.sh
. bench/ledger_env.sh
engine_db=${1:-postgres}
seconds=${2:-20}
compare=${3:-engines}
pg_base=${PG_BASE:-postgres://postgres:postgres@127.0.0.1:5432}
port=${PORT_UNDER_TEST:-18181}

[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet -p tresor -p tresor-bench --example same_rows
work=$(mktemp -d)
trap 'if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

run() { # engine workload accounts concurrency [outbox]
    local engine=$1 workload=$2 accounts=$3 concurrency=$4 outbox=${5:-true} db
    if [ "$engine_db" = postgres ]; then
        db="tresor_bench_$$"
        psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
        export DATABASE_URL="$pg_base/$db${PG_QUERY:-}"
    else
        rm -rf "$work/data"
        export DATABASE_URL="sqlite://$work/data/tresor.db"
    fi
    ledger_env "$work/data" "$port"
    export RUST_LOG=warn TRESOR__LEDGER__ENGINE="${engine/same-rows/actors}" TRESOR__EVENTS__OUTBOX="$outbox"
    target/release/tresor migrate
    if [ "$engine" = same-rows ]; then
        # The limit: the rows of a transfer in full batches of $concurrency, no HTTP (bench/same_rows.rs).
        target/release/examples/same_rows "$workload" "$accounts" "$seconds" "$concurrency" "$engine_db/same-rows"
        return
    fi
    target/release/tresor serve & server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
    target/release/tresor-load --base-url "http://127.0.0.1:$port" --tresor target/release/tresor \
        --users 50 --accounts "$accounts" --workload "$workload" --concurrency "$concurrency" \
        --duration "$seconds" --label "$engine_db/$engine$([ "$outbox" = true ] || echo ' outbox off')"
    kill -TERM "$server"; wait "$server" || true
}

echo "machine: $(nproc) cores, $(uname -sr); database: $engine_db; $seconds s per run"
for workload in ${WORKLOADS:-hot uniform card-hot card-uniform}; do
    accounts=$(case "$workload" in *hot) echo 1000 ;; *) echo 10000 ;; esac)
    if [ "$compare" = outbox ]; then
        for _ in 1 2; do
            for outbox in true false; do run actors "$workload" "$accounts" 64 "$outbox"; done
        done
    else
        for engine in ${ENGINES:-actors locked}; do
            run "$engine" "$workload" "$accounts" 64
        done
    fi
done
