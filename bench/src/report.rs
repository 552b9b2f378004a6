//! One human line and one JSON line per run.

use crate::Args;
use crate::run::Stats;

pub fn print(args: &Args, stats: &Stats) {
    let created = stats.statuses.get(&201).copied().unwrap_or(0);
    let total: u64 = stats.statuses.values().sum();
    let seconds = stats.elapsed.as_secs_f64();
    let ms = |q: f64| stats.latency.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{label}: {workload:?} {created} {what} in {seconds:.1}s = {rate:.0}/s (all responses {all:.0}/s); \
         latency ms p50 {p50:.2} p90 {p90:.2} p99 {p99:.2} p99.9 {p999:.2} max {max:.2}; statuses {statuses:?}",
        label = args.label,
        workload = args.workload,
        what = if args.workload.cards() { "approved authorizations" } else { "transfers" },
        rate = created as f64 / seconds,
        all = total as f64 / seconds,
        p50 = ms(0.5),
        p90 = ms(0.9),
        p99 = ms(0.99),
        p999 = ms(0.999),
        max = stats.latency.max() as f64 / 1000.0,
        statuses = stats.statuses,
    );
    let json = serde_json::json!({
        "label": args.label,
        "workload": format!("{:?}", args.workload).to_lowercase(),
        "concurrency": args.concurrency,
        "accounts": args.accounts,
        "seconds": seconds,
        "transfers_per_second": created as f64 / seconds,
        "p50_ms": ms(0.5), "p99_ms": ms(0.99), "p999_ms": ms(0.999),
        "statuses": stats.statuses,
    });
    println!("{json}");
}
