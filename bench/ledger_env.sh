# Sourced by the ledger benchmarks (ledger.sh, compare.sh, ledger_cpu.sh): the settings every one
# of them runs `tresor serve` with — no daily outgoing limit, 16 database connections, no
# rate limits and a card network key (which tresor-load reads too), so the load generator
# measures the ledger. The caller sets DATABASE_URL, RUST_LOG
# and the engine.
#   ledger_env DATA_DIR PORT
ledger_env() {
    export TRESOR_DATA_DIR="$1" TRESOR_BIND="127.0.0.1:$2" \
        TRESOR__LEDGER__DAILY_OUTGOING=9000000000000 TRESOR__DATABASE__MAX_CONNECTIONS=16 \
        TRESOR__RATE_LIMITS__LOGIN_IP=off TRESOR__RATE_LIMITS__LOGIN_IP_EMAIL=off \
        TRESOR__RATE_LIMITS__TRANSFERS=off TRESOR__RATE_LIMITS__REGISTER=off \
        TRESOR__CARDS__NETWORK_API_KEY=bench-network-key-0123456789
}
