//! Prometheus metrics per job type (queue). Names are stable; dashboards use them.

use std::time::Duration;

pub fn enqueued(queue: &str, count: u64) {
    metrics::counter!("tresor_jobs_enqueued_total", "queue" => queue.to_owned()).increment(count);
}

/// One run of a job finished (a retried job has several).
pub fn attempt_finished(queue: &str, took: Duration, ok: bool) {
    let labels = [("queue", queue.to_owned())];
    metrics::histogram!("tresor_job_duration_seconds", &labels).record(took.as_secs_f64());
    let name = if ok { "tresor_jobs_succeeded_total" } else { "tresor_jobs_failed_total" };
    metrics::counter!(name, &labels).increment(1);
}

pub fn retried(queue: &str) {
    metrics::counter!("tresor_jobs_retried_total", "queue" => queue.to_owned()).increment(1);
}

pub fn dead(queue: &str) {
    metrics::counter!("tresor_jobs_dead_total", "queue" => queue.to_owned()).increment(1);
}

/// Jobs waiting to run (due now or later, retries included), sampled from the store.
pub fn depth(queue: &str, waiting: u64, running: u64, dead: u64) {
    let q = queue.to_owned();
    metrics::gauge!("tresor_job_queue_depth", "queue" => q.clone()).set(waiting as f64);
    metrics::gauge!("tresor_job_queue_running", "queue" => q.clone()).set(running as f64);
    metrics::gauge!("tresor_job_queue_dead", "queue" => q).set(dead as f64);
}

/// Rows a maintenance step changed (cleanup, lockout expiry).
pub fn maintained(task: &str, rows: u64) {
    metrics::counter!("tresor_maintenance_rows_total", "task" => task.to_owned()).increment(rows);
}
