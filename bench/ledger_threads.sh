#!/usr/bin/env bash
# Where the server's threads spend a ledger run on SQLite: drives the hot (or uniform) workload
# against `tresor serve` and, over a steady window, reads each thread's time on a CPU, time
# waiting for one (runnable but not running) and how often it was put on a CPU (every wake-up
# and every preemption) from /proc/<pid>/task/<tid>/schedstat, plus the machine's idle share
# (/proc/stat). A thread's window minus its two times is time asleep: for SQLite's worker
# threads, waiting for the next statement (or for the disk). The SQLite worker threads are
# listed one by one (the busiest is the writer's), the other threads summed by name.
#   bench/ledger_threads.sh [hot|uniform] [window seconds]   (BENCH_NO_BUILD=1, BENCH_BIN=…, EXTRA="K=V …")
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/ledger_env.sh
. bench/ledger_env.sh
workload=${1:-hot} window=${2:-8}
accounts=$([ "$workload" = hot ] && echo 1000 || echo 10000)
port=${PORT_UNDER_TEST:-18184}
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --quiet -p tresor -p tresor-bench
bin=${BENCH_BIN:-target/release/tresor}
work=$(mktemp -d)
trap 'if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
ledger_env "$work/data" "$port"
export DATABASE_URL="sqlite://$work/data/tresor.db" RUST_LOG=warn
# shellcheck disable=SC2086,SC2163 # EXTRA is a list of assignments
[ -z "${EXTRA:-}" ] || export ${EXTRA}

threads() { # tid name on-cpu-ns runqueue-ns switches, one line per thread of the server
    local task
    for task in /proc/"$server"/task/*; do
        echo "$(basename "$task") $(tr ' ' _ <"$task/comm") $(cat "$task/schedstat" 2>/dev/null || echo '0 0 0')"
    done
}

"$bin" migrate >/dev/null
"$bin" serve & server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(uname -sr); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $workload, ${window} s window"
(
    sleep 6 # seeding done, load steady
    threads >"$work/before"; head -1 /proc/stat >"$work/stat-before"
    sleep "$window"
    threads >"$work/after"; head -1 /proc/stat >"$work/stat-after"
) & probe=$!
target/release/tresor-load --base-url "http://127.0.0.1:$port" --tresor "$bin" --users 50 \
    --accounts "$accounts" --workload "$workload" --concurrency 64 --duration $((window + 8)) \
    --label "sqlite/$workload" | grep -E 'transfers in' || true
wait "$probe"
python3 - "$work" "$window" <<'PY'
import collections, sys
work, window = sys.argv[1], float(sys.argv[2])
def read(name):
    rows = {}
    for line in open(f"{work}/{name}"):
        fields = line.split()
        if len(fields) != 5:  # a thread that ended while it was read
            continue
        tid, comm, cpu, queue, switches = fields
        rows[tid] = (comm, int(cpu), int(queue), int(switches))
    return rows
before, after = read("before"), read("after")
sums = collections.defaultdict(lambda: [0, 0, 0, 0])
for tid, (comm, cpu, queue, switches) in after.items():
    if tid not in before:
        continue
    _, cpu0, queue0, switches0 = before[tid]
    key = f"{comm} {tid}" if comm.startswith("sqlx-sqlite") else comm
    row = sums[key]
    row[0] += cpu - cpu0; row[1] += queue - queue0; row[2] += switches - switches0; row[3] += 1
print("| threads | count | on a CPU, s | runnable, waiting, s | asleep, s | put on a CPU, per s |")
print("| --- | --- | --- | --- | --- | --- |")
for key, (cpu, queue, switches, count) in sorted(sums.items(), key=lambda kv: -kv[1][0]):
    if cpu < 0.01e9:
        continue
    asleep = count * window - (cpu + queue) / 1e9
    print(f"| {key} | {count} | {cpu / 1e9:.2f} | {queue / 1e9:.2f} | {asleep:.2f} | {switches / window:,.0f} |")
stat0 = list(map(int, open(f"{work}/stat-before").read().split()[1:]))
stat1 = list(map(int, open(f"{work}/stat-after").read().split()[1:]))
delta = [b - a for a, b in zip(stat0, stat1)]
print(f"machine idle (idle + iowait): {100 * (delta[3] + delta[4]) / sum(delta):.0f} %")
PY
