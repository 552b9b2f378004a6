#!/usr/bin/env bash
# The comparisons of bench/README.md in one session, then one table with each reference beside
# tresor's figure: reads against the bare route, resident memory against its targets, transfers
# on SQLite and PostgreSQL against the row-locking baseline and the same-rows limit
# (bench/same_rows.rs), and 100,000 account actors.
# Run it on an idle machine, from the repository root; PostgreSQL on 127.0.0.1 for its rows
# (skipped when psql cannot reach it).
#   SECONDS_RUN=20 bash bench/all.sh        (BENCH_NO_BUILD=1: target/release as it is)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_RUN:-20}
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet -p tresor -p tresor-bench --example bare_route --example same_rows
export BENCH_NO_BUILD=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== reads"; DURATION=${seconds}s bash bench/reads.sh | tee "$out/reads.txt"
echo "== memory"; SECONDS_LOAD=15 bash bench/memory.sh | tee "$out/memory.txt"
export ENGINES="actors locked same-rows"
echo "== ledger, SQLite"; WORKLOADS="hot uniform" bash bench/ledger.sh sqlite "$seconds" | tee "$out/ledger.txt"
if psql "${PG_BASE:-postgres://postgres:postgres@127.0.0.1:5432}/postgres" -qc 'SELECT 1' >/dev/null 2>&1; then
    echo "== ledger, PostgreSQL"; WORKLOADS="hot uniform" bash bench/ledger.sh postgres "$seconds" | tee -a "$out/ledger.txt"
fi
echo "== account actors"; cargo bench --quiet -p tresor-actors --bench actor_memory -- 100000 2>/dev/null | tee "$out/actors.txt"

python3 - "$out" <<'PY'
import json, pathlib, re, sys
out = pathlib.Path(sys.argv[1])
rows = []
reads = {}
for line in (out / "reads.txt").read_text().splitlines():
    cells = [c.strip() for c in line.strip("|").split("|")]
    if len(cells) == 6 and cells[1].isdigit():
        reads[cells[0]] = (int(cells[1]), cells[3], cells[4])
bare = reads.get("bare")
for route, path in [("me", "GET /v1/users/me"), ("accounts", "GET /v1/accounts"), ("account", "GET /v1/accounts/{id}")]:
    if bare and route in reads:
        rps, p99, cpu = reads[route]
        rows.append((f"{path}, req/s (p99, CPU/request)", f"{rps} ({p99}, {cpu})",
                     f"bare route {bare[0]} ({bare[2]})", f"{rps * 100 // bare[0]} % of the bare route (target 80 %)"))
memory = [l for l in (out / "memory.txt").read_text().splitlines() if l.startswith("| idle") or l.startswith("| right")]
for line in memory:
    cells = [c.strip() for c in line.strip("|").split("|")]
    target = "target ≤ 30 MB" if cells[0].startswith("idle") else "reported"
    rows.append((f"RSS, {cells[0]}", cells[1], target, f"anonymous {cells[2]}, file {cells[3]}"))
ledger = {}
for line in (out / "ledger.txt").read_text().splitlines():
    if line.startswith("{"):
        run = json.loads(line)
        ledger[(run["label"], run["workload"])] = run["transfers_per_second"]
for db in ("sqlite", "postgres"):
    for workload in ("hot", "uniform"):
        actors, locked = ledger.get((f"{db}/actors", workload)), ledger.get((f"{db}/locked", workload))
        limit = ledger.get((f"{db}/same-rows", workload))
        if actors and locked:
            rows.append((f"transfers/s, {db}, {workload}", f"{actors:.0f}", f"row locking {locked:.0f}",
                         f"{actors / locked:.1f}× the baseline"))
        if actors and limit:
            rows.append((f"transfers/s, {db}, {workload}, against its same-rows limit", f"{actors:.0f}",
                         f"same rows, no HTTP {limit:.0f}", f"{actors * 100 / limit:.0f} % of the limit (target 60 %)"))
actors = re.search(r"grew ([0-9.]+) MiB", (out / "actors.txt").read_text())
if actors:
    rows.append(("100,000 live account actors", f"{actors.group(1)} MiB", "target ≤ 200 MB", ""))
print("\n| measure | tresor | reference in the same run | ratio |")
print("| --- | --- | --- | --- |")
for row in rows:
    print("| " + " | ".join(row) + " |")
PY
