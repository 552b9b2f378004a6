//! TLS to the databases. `.ci/run` runs the PostgreSQL + Redis suite once more against servers
//! of its own that speak TLS only, with certificates from a test CA (`TEST_DATABASE_URL` with
//! `sslmode=verify-full&sslrootcert=…`, `TEST_REDIS_URL=rediss://…` with `TEST_REDIS_CA_FILE`).
//! These tests check that the connections really are TLS and that a server whose certificate
//! another CA signed is refused with a clear error. They run when `TRESOR_TEST_TLS=required`.

use crate::support::{assert_setting_refused, cli_command, redis_url, spawn_app};

fn tls_run(test: &str) -> Option<(String, String, String)> {
    let database = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.contains("sslmode=verify-full"));
    let redis = redis_url().filter(|u| u.starts_with("rediss://"));
    let other_ca = std::env::var("TRESOR_TEST_OTHER_CA").ok();
    match (database, redis, other_ca) {
        (Some(database), Some(redis), Some(other_ca)) => Some((database, redis, other_ca)),
        _ => {
            let required = std::env::var("TRESOR_TEST_TLS").ok().as_deref() == Some("required");
            assert!(!required, "{test}: TEST_DATABASE_URL / TEST_REDIS_URL / TRESOR_TEST_OTHER_CA are not TLS");
            eprintln!("skipped {test}: not a TLS run");
            None
        }
    }
}

/// The URL with its `sslrootcert` pointing at `ca`.
fn with_root(url: &str, ca: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let params: Vec<String> = query
        .split('&')
        .map(|p| if p.starts_with("sslrootcert=") { format!("sslrootcert={ca}") } else { p.to_owned() })
        .collect();
    format!("{base}?{}", params.join("&"))
}

#[actix_web::test]
async fn the_database_and_redis_connections_are_tls() {
    let Some(_) = tls_run("the_database_and_redis_connections_are_tls") else { return };
    let app = spawn_app().await;
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert!(ssl, "the pool's connections are TLS");
    let ready: serde_json::Value = app.health_ready().await.json().await.unwrap();
    assert_eq!((ready["checks"]["database"].as_str(), ready["checks"]["redis"].as_str()), (Some("ok"), Some("ok")));
}

#[test]
fn a_postgres_server_signed_by_another_ca_is_refused_with_a_clear_error() {
    let Some((database, _, other_ca)) = tls_run("a_postgres_server_signed_by_another_ca") else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = cli_command(dir.path(), &with_root(&database, &other_ca)).arg("migrate").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default().to_lowercase();
    assert!(last.contains("database") && last.contains("certificate"), "{stderr}");
    assert!(!stderr.contains("postgres:postgres"), "no password in the error: {stderr}");
}

#[test]
fn a_redis_server_signed_by_another_ca_is_refused_with_a_clear_error() {
    let Some((database, redis, other_ca)) = tls_run("a_redis_server_signed_by_another_ca") else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = cli_command(dir.path(), &database)
        .env("REDIS_URL", &redis)
        .env("TRESOR__REDIS__CA_FILE", &other_ca)
        .env("TRESOR__JOBS__BACKEND", "redis")
        .args(["jobs", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default().to_lowercase();
    assert!(last.contains("redis") && last.contains("certificate"), "{stderr}");
}

#[test]
fn a_redis_ca_file_that_is_not_a_certificate_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for file in [not_pem.display().to_string(), dir.path().join("missing.pem").display().to_string()] {
        assert_setting_refused("TRESOR__REDIS__CA_FILE", &file, "redis.ca_file");
    }
}
