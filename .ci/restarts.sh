#!/usr/bin/env bash
# The restart drill (tests/api/ops/restarts.rs): a PostgreSQL cluster and an append-only Redis of
# tresor's own, stopped and started again under load. Never touches the machine's shared servers.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
source .ci/own_services.sh

PG_PORT=${TRESOR_DRILL_PG_PORT:-55434}
REDIS_PORT=${TRESOR_DRILL_REDIS_PORT:-56381}
ensure_own_postgres drill "$PG_PORT"
ensure_own_redis drill "$REDIS_PORT" aof

export TRESOR_DRILL_PG_CTL="$PG_BIN/pg_ctl"
export TRESOR_DRILL_PG_DATA="$OWN_DIR/pg-drill"
export TRESOR_DRILL_REDIS_PORT=$REDIS_PORT
export TRESOR_DRILL_REDIS_START="$OWN_DIR/redis-drill/start.sh"
export TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:$PG_PORT/postgres"
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
unset TEST_REDIS_CA_FILE TEST_DOCUMENTS_STORE
started=$(date +%s)
# One at a time: both drills stop the same servers.
cargo test --test api -- --ignored "${TRESOR_DRILL_FILTER:-ops::restarts::}" --test-threads=1 --nocapture
echo "restart drill took $(( $(date +%s) - started )) s"
