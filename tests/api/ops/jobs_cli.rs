//! `tresor jobs list` / `tresor jobs retry ID` / `tresor jobs retry --dead` on every storage the
//! run has: the test database (SQLite or PostgreSQL) and Redis when configured.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tresor_jobs::settings::Backend;
use tresor_jobs::store::NewJob;
use tresor_jobs::worker::Registry;
use tresor_jobs::{JobError, Store};

use crate::support::jobs::{backends, eventually, quick_retry, settings, start_workers, store};
use crate::support::{TestApp, redis_url, spawn_app};

/// A queue the CLI's own settings know (its workers are not running: the test's are).
const QUEUE: &str = "cleanup";

/// Fails for good on a job's first run, succeeds after; counts the runs. `seen` outlives the
/// registry, so the workers can be stopped and started again.
fn fails_first_time(runs: Arc<AtomicUsize>, seen: Arc<dashmap::DashSet<String>>) -> Registry {
    Registry::new().with(
        QUEUE,
        Arc::new(move |payload, _attempt| {
            let (runs, seen) = (runs.clone(), seen.clone());
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if seen.insert(payload.to_string()) {
                    Err(JobError::permanent("the probe refuses its first run"))
                } else {
                    Ok(())
                }
            })
        }),
    )
}

fn job(n: usize) -> NewJob {
    NewJob {
        queue: QUEUE,
        payload: serde_json::json!({"n": n, "of": uuid::Uuid::new_v4()}),
        key: None,
        id: None,
        run_at: None,
        max_attempts: 3,
    }
}

async fn dead_ids(store: &Store) -> Vec<String> {
    store.overview(50).await.unwrap().dead.into_iter().map(|j| j.id).collect()
}

/// The CLI on this backend: the test's database, and for Redis the test's namespace.
fn jobs_cli(app: &TestApp, store: &Store, args: &[&str]) -> std::process::Output {
    let mut command = crate::support::cli_command(app.data_dir.path(), &app.database.url);
    if store.backend() == Backend::Redis {
        command
            .env("REDIS_URL", redis_url().unwrap())
            .env("TRESOR__JOBS__BACKEND", "redis")
            .env("TRESOR__JOBS__NAMESPACE", &store.settings().namespace);
    }
    command.arg("jobs").args(args).output().unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[actix_web::test]
async fn jobs_list_shows_dead_jobs_and_retry_puts_one_or_all_back_on_every_storage() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(3, 50))]));
        let (runs, seen) = (Arc::new(AtomicUsize::new(0)), Arc::default());
        // The CLI is another process: on SQLite it waits for the one write lock, which a worker
        // polling every 50 ms on a loaded machine can keep from it, so the workers stop while it
        // writes.
        let start = || start_workers(&store, fails_first_time(runs.clone(), Arc::clone(&seen)), false);
        let workers = start();
        store.push(job(1)).await.unwrap();
        eventually(Duration::from_secs(20), "the job to be dead", async || dead_ids(&store).await.len() == 1).await;
        workers.stop().await;
        let id = dead_ids(&store).await.remove(0);

        let listed = jobs_cli(&app, &store, &["list"]);
        assert_eq!(listed.status.code(), Some(0), "{backend:?}: {listed:?}");
        let text = stdout(&listed);
        let row = text.lines().find(|l| l.starts_with(QUEUE)).unwrap_or_default().to_owned();
        assert_eq!(row.split_whitespace().collect::<Vec<_>>(), [QUEUE, "0", "0", "1"], "{backend:?}: {text}");
        let failure = text.lines().find(|l| l.starts_with(&id)).unwrap_or_default();
        assert!(failure.contains("dead") && failure.contains("the probe refuses its first run"), "{backend:?}: {text}");

        let retried = jobs_cli(&app, &store, &["retry", &id]);
        assert_eq!(retried.status.code(), Some(0), "{backend:?}: {retried:?}");
        assert!(stdout(&retried).contains(&id), "{backend:?}");
        let workers = start();
        eventually(Duration::from_secs(20), "the retried job to run", async || runs.load(Ordering::SeqCst) == 2).await;
        eventually(Duration::from_secs(10), "no dead job left", async || dead_ids(&store).await.is_empty()).await;
        workers.stop().await;

        let again = jobs_cli(&app, &store, &["retry", &id.to_lowercase()]);
        assert_eq!(again.status.code(), Some(1), "{backend:?}: a job that is not dead is not retried");
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(stderr.contains("no dead job") && stderr.trim_end().lines().count() == 1, "{backend:?}: {stderr}");

        let workers = start();
        store.push(job(2)).await.unwrap();
        store.push(job(3)).await.unwrap();
        eventually(Duration::from_secs(20), "two dead jobs", async || dead_ids(&store).await.len() == 2).await;
        workers.stop().await;
        let all = jobs_cli(&app, &store, &["retry", "--dead"]);
        assert_eq!(all.status.code(), Some(0), "{backend:?}: {all:?}");
        assert!(stdout(&all).starts_with("2 dead jobs back"), "{backend:?}: {}", stdout(&all));
        let workers = start();
        eventually(Duration::from_secs(20), "both to run again", async || runs.load(Ordering::SeqCst) == 6).await;
        eventually(Duration::from_secs(10), "no dead job left", async || dead_ids(&store).await.is_empty()).await;
        workers.stop().await;
        let none = jobs_cli(&app, &store, &["retry", "--dead"]);
        assert!(stdout(&none).starts_with("0 dead jobs back"), "{backend:?}: {none:?}");
    }
}

#[test]
fn jobs_commands_refuse_bad_arguments_in_one_line_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 5] = [
        &["jobs", "retry"],
        &["jobs", "retry", "not-a-job-id"],
        &["jobs", "retry", "01JABCDEFGHJKMNPQRSTVWXYZ0", "--dead"],
        &["jobs", "list", "--limit", "0"],
        &["jobs", "purge"],
    ];
    for args in cases {
        let output = crate::support::cli_command(dir.path(), "sqlite://unused.db").args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    let help = crate::support::cli_command(dir.path(), "sqlite://unused.db").args(["jobs", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = stdout(&help);
    assert!(text.contains("list") && text.contains("retry"), "{text}");
}
