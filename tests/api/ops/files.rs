//! The data folder holds the database, the keys and mail files carrying live tokens: it is
//! `0700` and every file the service writes in it `0600`, also when it existed with wider modes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::support::cli_command;
use crate::support::identity::{PASSWORD, unique_email};
use crate::support::process::{Process, free_port, wait_ready};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[actix_web::test]
async fn the_data_folder_is_0700_and_every_file_in_it_0600() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let database = format!("sqlite://{}", data.join("tresor.db").display());
    let mut serve = Process::start(
        cli_command(&data, &database)
            .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
            .env("TRESOR__SERVER__WORKERS", "1")
            .env("TRESOR__JOBS__POLL_INTERVAL_MS", "50")
            .env("TRESOR__PASSWORDS__ARGON2_MEMORY_KIB", "1024")
            .env("TRESOR__PASSWORDS__ARGON2_ITERATIONS", "1")
            .arg("serve"),
        &dir.path().join("serve.log"),
    );
    wait_ready(&base, Duration::from_secs(30)).await;
    // A registration: its verification mail (with a live token) is written under mail/.
    let body = json!({"email": unique_email("perm"), "password": PASSWORD, "full_name": "Ada"});
    let response = reqwest::Client::new().post(format!("{base}/v1/auth/register")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let mail = data.join("mail");
    crate::support::jobs::eventually(Duration::from_secs(20), "the mail file", async || {
        std::fs::read_dir(&mail).is_ok_and(|mut files| files.next().is_some())
    })
    .await;
    serve.terminate();
    assert_eq!(serve.wait(Duration::from_secs(30)).await.code(), Some(0), "{}", serve.log_text());

    assert_eq!(mode(&data), 0o700, "the data folder, which existed as 0755, is narrowed");
    let mut files = 0;
    let mut stack = vec![data.clone()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(files >= 5, "the database, three key rings and a mail file at least ({files})");
    assert_eq!(mode(&data.join("tresor.db")), 0o600);
}
