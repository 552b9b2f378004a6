//! `tresor jobs list` and `tresor jobs retry`, on whichever queue `[jobs] backend` names
//! (the application database, SQLite or PostgreSQL, or Redis). Builds only the database and the
//! queue.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use tresor_jobs::store::{DeadJob, Overview, StoreError};

use crate::cli::RetryArgs;
use crate::config::Config;
use crate::state::connect;

pub async fn list(config: Config, limit: u16) -> anyhow::Result<ExitCode> {
    let db = connect(&config).await?;
    let jobs = crate::queue::store(&config, &db)?;
    let overview = jobs.overview(usize::from(limit)).await;
    db.close().await;
    print!("{}", render(&overview?));
    Ok(ExitCode::SUCCESS)
}

pub async fn retry(config: Config, args: RetryArgs) -> anyhow::Result<ExitCode> {
    let db = connect(&config).await?;
    let jobs = crate::queue::store(&config, &db)?;
    let id = if args.dead { None } else { args.id.as_ref().map(crate::cli::JobId::as_str) };
    // On SQLite a busy server may hold the write lock past the busy timeout: try a few times.
    let mut retried = jobs.retry_dead(id).await;
    for _ in 0..3 {
        match &retried {
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.code().as_deref() == Some("5") => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                retried = jobs.retry_dead(id).await;
            }
            _ => break,
        }
    }
    db.close().await;
    match (retried?, id) {
        (0, Some(id)) => {
            eprintln!("tresor: no dead job with id {id} (`tresor jobs list` shows the dead ones)");
            Ok(ExitCode::FAILURE)
        }
        (_, Some(id)) => {
            println!("job {id} is back on its queue");
            Ok(ExitCode::SUCCESS)
        }
        (n, None) => {
            println!("{n} dead job{} back on their queues", if n == 1 { "" } else { "s" });
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The overview as a table of queues, then one line per recent failure.
fn render(overview: &Overview) -> String {
    let mut out = format!("{:<18} {:>8} {:>8} {:>8}\n", "queue", "waiting", "running", "dead");
    for q in &overview.queues {
        out.push_str(&format!("{:<18} {:>8} {:>8} {:>8}\n", q.queue, q.waiting, q.running, q.dead));
    }
    if overview.recent_failures.is_empty() {
        out.push_str("\nno recent failures\n");
        return out;
    }
    out.push_str("\nrecent failures, newest first (retry a dead one with `tresor jobs retry ID`):\n");
    for job in &overview.recent_failures {
        out.push_str(&failure_line(job));
        out.push('\n');
    }
    out
}

fn failure_line(job: &DeadJob) -> String {
    let when = job
        .finished_at
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let state = if job.dead { "dead" } else { "retrying" };
    let error = job.error.as_deref().unwrap_or("").replace(['\n', '\r'], " ");
    format!("{}  {:<16} {:<8} attempts {:<3} {}  {}", job.id, job.queue, state, job.attempts, when, error)
}
