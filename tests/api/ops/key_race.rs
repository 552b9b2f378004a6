//! `tresor serve` and `tresor worker` started together on a fresh data folder, twenty times:
//! both start every time, and both use the one set of keys the winner generated (key rings are
//! created under unique temporary names and linked into place only if absent).

use std::time::Duration;

use crate::support::cli_command;
use crate::support::process::{Process, free_port, wait_ready};

const RUNS: usize = 20;

#[actix_web::test]
async fn serve_and_worker_started_together_on_a_fresh_folder_share_one_set_of_keys() {
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let database = format!("sqlite://{}", data.join("tresor.db").display());
        let port = free_port();
        let command = |args: &[&str]| {
            let mut command = cli_command(&data, &database);
            command.env("TRESOR_BIND", format!("127.0.0.1:{port}")).env("TRESOR__SERVER__WORKERS", "1").args(args);
            command
        };
        let (mut serve_command, mut worker_command) = (command(&["serve"]), command(&["worker"]));
        let mut serve = Process::start(&mut serve_command, &dir.path().join("serve.log"));
        let mut worker = Process::start(&mut worker_command, &dir.path().join("worker.log"));
        wait_ready(&format!("http://127.0.0.1:{port}"), Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(worker.exited().is_none(), "run {run}: the worker died: {}", worker.log_text());
        assert!(serve.exited().is_none(), "run {run}: serve died: {}", serve.log_text());
        let keys = data.join("keys");
        let mut names: Vec<String> =
            std::fs::read_dir(&keys).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["encryption.json", "mac.json", "signing.json"], "run {run}: no temporary file is left");
        for name in &names {
            let ring: serde_json::Value = serde_json::from_slice(&std::fs::read(keys.join(name)).unwrap()).unwrap();
            assert_eq!(ring["keys"].as_array().unwrap().len(), 1, "run {run}: {name} was generated once");
        }
        serve.terminate();
        worker.terminate();
        assert_eq!(serve.wait(Duration::from_secs(30)).await.code(), Some(0), "run {run}: {}", serve.log_text());
        assert_eq!(worker.wait(Duration::from_secs(30)).await.code(), Some(0), "run {run}: {}", worker.log_text());
    }
}
