//! `tresor admin create` and `tresor keys generate|rotate` against a running server.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use figment::providers::Serialized;
use serde_json::{Value, json};

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{TestApp, assert_problem, cli_command, spawn_app, spawn_app_with};

fn run_with_stdin(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = cli_command(app.data_dir.path(), &app.database.url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[actix_web::test]
async fn admin_create_with_a_password_makes_a_verified_staff_user_who_can_sign_in() {
    let app = spawn_app().await;
    let email = unique_email("op");
    let args = [
        "admin",
        "create",
        "--email",
        &email,
        "--full-name",
        "Grace Hopper",
        "--role",
        "admin",
        "--role",
        "support",
        "--password-stdin",
    ];
    let output = run_with_stdin(&app, &args, &format!("{PASSWORD}\n"));
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!String::from_utf8_lossy(&output.stdout).contains(PASSWORD));
    let signed =
        app.sign_in(crate::support::identity::TestUser { id: String::new(), email, password: PASSWORD.into() }).await;
    let me: Value = app.get_authed("/v1/users/me", &signed.access).await.json().await.unwrap();
    assert_eq!(me["roles"], json!(["admin", "support"]));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.created'").await, 1);
}

#[actix_web::test]
async fn admin_create_without_a_password_prints_a_one_time_set_password_link() {
    let app = spawn_app().await;
    let email = unique_email("invited");
    let output = app.cli(&["admin", "create", "--email", &email, "--full-name", "Ada", "--role", "customer"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let token = stdout.split("?token=").nth(1).unwrap().trim().to_owned();
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid-credentials").await;
    let accept = async |password: &str| {
        app.post_json("/v1/auth/invite/accept", &json!({"token": token, "password": password})).await
    };
    assert_problem(accept("password1234").await, 400, "invalid-request").await;
    assert_eq!(accept(PASSWORD).await.status(), 204);
    assert_problem(accept(PASSWORD).await, 400, "invalid-token").await;
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn admin_create_refuses_bad_input_with_one_line_and_a_taken_email_with_exit_1() {
    let app = spawn_app().await;
    let email = unique_email("dup");
    let ok = app.cli(&["admin", "create", "--email", &email, "--full-name", "A", "--role", "auditor"]);
    assert_eq!(ok.status.code(), Some(0));
    let taken = app.cli(&["admin", "create", "--email", &email, "--full-name", "B", "--role", "auditor"]);
    assert_eq!(taken.status.code(), Some(1));
    let cases: [&[&str]; 3] = [
        &["admin", "create", "--email", "nope", "--full-name", "A", "--role", "admin"],
        &["admin", "create", "--email", "a@example.com", "--full-name", "A", "--role", "overlord"],
        &["admin", "create", "--email", "a@example.com", "--full-name", "A"],
    ];
    for args in cases {
        let output = app.cli(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    let weak = run_with_stdin(
        &app,
        &["admin", "create", "--email", &unique_email("w"), "--full-name", "A", "--role", "admin", "--password-stdin"],
        "password\n",
    );
    assert_eq!(weak.status.code(), Some(2), "{}", String::from_utf8_lossy(&weak.stderr));
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn keys_rotate_re_encrypts_personal_data_while_the_server_runs_and_old_tokens_keep_working() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("keys.reload_secs", 1))).await;
    let email = unique_email("rot");
    let body = json!({"email": email, "password": PASSWORD, "full_name": "Ada", "ssn": "123-45-6789",
                      "address": "1 Main St", "phone": "+14155550123", "date_of_birth": "1990-05-17"});
    assert_eq!(app.register(&body).await.status(), 201);
    assert_eq!(app.verify_email(&app.link_token(&email, "verify_email").await).await.status(), 204);
    let before = app
        .sign_in(crate::support::identity::TestUser {
            id: String::new(),
            email: email.clone(),
            password: PASSWORD.into(),
        })
        .await;
    let old_kid = kid(&before.access);

    let generated = app.cli(&["keys", "generate"]);
    assert_eq!(generated.status.code(), Some(0), "{}", String::from_utf8_lossy(&generated.stderr));
    wait_until("the server loads the new keys", async || {
        let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
        jwks["keys"].as_array().unwrap().len() == 2
    })
    .await;
    let rotated = app.cli(&["keys", "rotate", "--batch-size", "1"]);
    let stdout = String::from_utf8_lossy(&rotated.stdout);
    assert_eq!(rotated.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&rotated.stderr));
    assert!(stdout.contains("re-encrypted 1 users"), "{stdout}");

    let (ssn, index): (String, String) =
        sqlx::query_as("SELECT ssn, ssn_index FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    let keys = tresor::crypto::Keys::load(&app.data_dir.path().join("keys"), false).unwrap();
    assert!(ssn.starts_with(&format!("v1:{}:", keys.encryption.active().0)), "{ssn}");
    assert!(index.starts_with(&format!("{}:", keys.mac.active().0)), "{index}");
    wait_until("the server signs with the new key", async || {
        let fresh: Value = app.login(&email, PASSWORD).await.json().await.unwrap();
        kid(fresh["access_token"].as_str().unwrap()) != old_kid
    })
    .await;
    let me: Value = app.get_authed("/v1/users/me", &before.access).await.json().await.unwrap();
    assert_eq!(me["ssn_last4"], "6789", "an old token still verifies, and the re-sealed data opens");
    let copy = json!({"email": unique_email("copy"), "password": PASSWORD, "full_name": "Eve", "ssn": "123456789"});
    assert_eq!(app.register(&copy).await.status(), 201);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "the recomputed blind index still finds the SSN");
    let again = app.cli(&["keys", "rotate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("re-encrypted 0 users"));
    assert!(app.state.audit.verify().await.unwrap().ok);
}

/// Another process rotated the signing key and signs with it before this server's periodic
/// reload: the first token with the new `kid` makes this server re-read its rings at once.
#[actix_web::test]
async fn a_token_with_a_new_kid_makes_the_server_reload_its_keys_at_once() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("keys.reload_secs", 3600))).await;
    let user = app.verified_user().await;
    for args in [["keys", "generate", "--ring", "signing"], ["keys", "rotate", "--ring", "signing"]] {
        let out = app.cli(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (_other, other) = crate::support::identity::server_process(&app, &[]).await;
    let signed: Value = app
        .client
        .post(format!("{other}/v1/auth/login"))
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed["access_token"].as_str().unwrap();
    let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "this server has not reloaded yet");
    assert_eq!(app.get_authed("/v1/users/me", token).await.status(), 200, "the new kid triggered a reload");
    let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
}

#[test]
fn the_identity_commands_answer_help() {
    for args in [["admin", "create", "--help"], ["keys", "generate", "--help"], ["keys", "rotate", "--help"]] {
        let output = std::process::Command::new(crate::support::binary()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage"), "{args:?}");
    }
}
