//! `tresor backup --to PATH`: on SQLite a consistent copy taken while money moves, which restores
//! to a database whose books and audit chain verify; on PostgreSQL, directions to pg_dump / PITR.

use std::time::Duration;

use crate::support::ledger::{caller, deposit, open};
use crate::support::{TestApp, cli_command, spawn_app};

fn run(data_dir: &std::path::Path, database_url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = cli_command(data_dir, database_url).args(args).output().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// Deposits into a few accounts until `stop` is set; returns how many were acknowledged.
async fn write_load(app: &TestApp, stop: &std::sync::atomic::AtomicBool) -> usize {
    let owner = caller();
    let accounts = [open(app, &owner, "USD").await, open(app, &owner, "USD").await, open(app, &owner, "EUR").await];
    let mut done = 0;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let burst = accounts.iter().map(|account| deposit(app, &owner, account, 100));
        done += futures::future::join_all(burst).await.into_iter().filter(|o| o.status == 201).count();
    }
    done
}

#[actix_web::test]
async fn a_backup_taken_under_write_load_restores_to_books_and_an_audit_chain_that_verify() {
    let app = spawn_app().await;
    let target = app.data_dir.path().join("backup.db");
    let target_arg = target.display().to_string();
    if app.database.is_postgres() {
        let (code, stdout, stderr) = run(app.data_dir.path(), &app.database.url, &["backup", "--to", &target_arg]);
        assert_eq!(code, Some(1), "no backup is made on PostgreSQL: {stdout}");
        assert!(stderr.contains("pg_dump") && stderr.contains("point-in-time"), "{stderr}");
        assert!(!target.exists());
        return;
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let backup = async {
        // Let the load start, then back up while it runs.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (data_dir, url, to) = (app.data_dir.path().to_owned(), app.database.url.clone(), target_arg.clone());
        let result = tokio::task::spawn_blocking(move || run(&data_dir, &url, &["backup", "--to", &to])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    let (acknowledged, (code, stdout, stderr)) = futures::join!(write_load(&app, &stop), backup);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("keep the keys folder"), "{stdout}");
    assert!(acknowledged > 0);

    // Restore: the copy becomes the database of a fresh data folder.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&target, restored.path().join("tresor.db")).unwrap();
    let url = format!("sqlite://{}", restored.path().join("tresor.db").display());
    let (code, ledger, stderr) = run(restored.path(), &url, &["ledger", "verify"]);
    assert_eq!(code, Some(0), "{ledger}{stderr}");
    let entries: usize = ledger.split_whitespace().nth(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(entries > 0, "the copy holds the deposits made before it: {ledger}");
    let (code, audit, stderr) = run(restored.path(), &url, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{audit}{stderr}");
    // The live database moved on meanwhile and still verifies too.
    let (code, live, _) = run(app.data_dir.path(), &app.database.url, &["ledger", "verify"]);
    assert_eq!(code, Some(0), "{live}");
}

#[test]
fn backup_refuses_a_missing_or_unusable_target_in_one_line_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tresor.db").display());
    let existing = dir.path().join("exists.db");
    std::fs::write(&existing, b"keep me").unwrap();
    let missing_folder = dir.path().join("no/such/folder/copy.db");
    let cases: [Vec<String>; 3] = [
        vec!["backup".into()],
        vec!["backup".into(), "--to".into(), existing.display().to_string()],
        vec!["backup".into(), "--to".into(), missing_folder.display().to_string()],
    ];
    for args in cases {
        let output = cli_command(dir.path(), &url).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me", "an existing file is never overwritten");
}
