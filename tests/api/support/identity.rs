//! Users for every area: the standard password, TestApp helpers for the identity endpoints
//! (registered, verified and signed-in users, KYC approved through the store), reading the mail
//! outbox and security events, and a server in a process of its own (`server_process`).

use serde_json::{Value, json};
use sqlx::Row;
use tresor::mail;
use tresor_jobs::email::Email;

use crate::support::TestApp;

pub const PASSWORD: &str = "correct horse battery staple 42";

pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
}

/// A signed-in user and their token pair.
pub struct SignedIn {
    pub user: TestUser,
    pub access: String,
    pub refresh: String,
    pub session_id: String,
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request is sent")
    }

    pub async fn post_authed(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("request is sent")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request is sent")
    }

    pub async fn register(&self, body: &Value) -> reqwest::Response {
        self.post_json("/v1/auth/register", body).await
    }

    pub async fn verify_email(&self, token: &str) -> reqwest::Response {
        self.post_json("/v1/auth/verify-email", &json!({ "token": token })).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json("/v1/auth/login", &json!({ "email": email, "password": password })).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/v1/auth/refresh", &json!({ "refresh_token": refresh_token })).await
    }

    pub async fn logout(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_authed("/v1/auth/logout", token, body).await
    }

    pub async fn sessions(&self, token: &str) -> reqwest::Response {
        self.get_authed("/v1/auth/sessions", token).await
    }

    /// Registers with the standard password and returns the user id (201 asserted).
    pub async fn register_user(&self, email: &str) -> String {
        let response =
            self.register(&json!({ "email": email, "password": PASSWORD, "full_name": "Ada Lovelace" })).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        let body: Value = response.json().await.unwrap();
        body["user_id"].as_str().unwrap().to_owned()
    }

    /// Registers and verifies a new user.
    pub async fn verified_user(&self) -> TestUser {
        let email = unique_email("ada");
        let id = self.register_user(&email).await;
        let token = self.link_token(&email, "verify_email").await;
        assert_eq!(self.verify_email(&token).await.status(), 204);
        TestUser { id, email, password: PASSWORD.to_owned() }
    }

    pub async fn sign_in(&self, user: TestUser) -> SignedIn {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let body: Value = response.json().await.unwrap();
        SignedIn {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            session_id: body["session_id"].as_str().unwrap().to_owned(),
            user,
        }
    }

    /// Marks the user's KYC approved through the store (tests of what approval unlocks).
    pub async fn approve_kyc(&self, user_id: &str) {
        sqlx::query("UPDATE users SET kyc_status = 'approved' WHERE id = $1")
            .bind(user_id)
            .execute(self.state.db.writer())
            .await
            .unwrap();
        // As the KYC service does after its commit: cached profiles are not served again.
        self.state.identity.profile_changed(user_id.parse().unwrap()).await;
    }

    pub async fn signed_in(&self) -> SignedIn {
        let user = self.verified_user().await;
        self.sign_in(user).await
    }

    /// Every queued email, oldest first, opened.
    pub async fn outbox(&self) -> Vec<Email> {
        let rows = sqlx::query("SELECT id, template, payload FROM email_outbox ORDER BY id")
            .fetch_all(self.state.db.reader())
            .await
            .unwrap();
        rows.iter()
            .filter_map(|row| {
                let id = uuid::Uuid::parse_str(&row.get::<String, _>("id")).unwrap();
                let payload: Option<String> = row.get("payload");
                mail::open(&self.state.keys.encryption, &id, &row.get::<String, _>("template"), payload.as_deref())
                    .unwrap()
            })
            .collect()
    }

    /// Queued emails to `to` with `template`.
    pub async fn mail_to(&self, to: &str, template: &str) -> Vec<Email> {
        self.outbox().await.into_iter().filter(|m| m.to == to && m.template.name() == template).collect()
    }

    /// The token in the newest `template` link sent to `to`.
    pub async fn link_token(&self, to: &str, template: &str) -> String {
        let mail = self.mail_to(to, template).await;
        let last = mail.last().unwrap_or_else(|| panic!("no {template} email to {to}"));
        let link = last.data["link"].as_str().expect("the email has a link");
        let token = link.split_once("#token=").or_else(|| link.split_once("?token=")).map(|(_, token)| token);
        token.expect("the link carries a token").to_owned()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self.state.db.reader()).await.unwrap()
    }

    pub async fn security_events(&self, kind: &str) -> Vec<Value> {
        let rows = sqlx::query("SELECT user_id, ip, detail FROM security_events WHERE kind = $1 ORDER BY id")
            .bind(kind)
            .fetch_all(self.state.db.reader())
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                let detail: String = r.get("detail");
                json!({"user_id": r.get::<Option<String>, _>("user_id"), "ip": r.get::<Option<String>, _>("ip"),
                       "detail": serde_json::from_str::<Value>(&detail).unwrap()})
            })
            .collect()
    }
}

impl SignedIn {
    pub fn user_clone(&self) -> TestUser {
        TestUser { id: self.user.id.clone(), email: self.user.email.clone(), password: self.user.password.clone() }
    }
}

impl TestApp {
    /// Waits (up to 10 s) until `count` security events of `kind` are recorded: failed sign-ins
    /// are recorded just after the answer, so the answer's timing does not depend on them.
    pub async fn wait_for_events(&self, kind: &str, count: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let events = self.security_events(kind).await;
            if events.len() >= count || std::time::Instant::now() > deadline {
                return events;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// A server process that is stopped when the test ends, however it ends.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a `tresor serve` process on the test's database and data folder (so the same keys and
/// token issuer), with `env` on top; returns it with its base URL once it is ready.
pub async fn server_process(app: &TestApp, env: &[(&str, String)]) -> (Running, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = crate::support::cli_command(app.data_dir.path(), &app.database.url);
    command
        .env("TRESOR__REDIS__PREFIX", &app.state.config.settings.redis.prefix)
        .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
        // One deployment: one public URL, so one token issuer.
        .env("TRESOR_PUBLIC_URL", &app.state.config.public_url)
        .env("TRESOR__SERVER__WORKERS", "2")
        .env("TRESOR__PASSWORDS__ARGON2_MEMORY_KIB", "1024")
        .env("TRESOR__PASSWORDS__ARGON2_ITERATIONS", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let child = Running(command.arg("serve").stderr(std::process::Stdio::null()).spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.client.get(format!("{base}/health/ready")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(std::time::Instant::now() < deadline, "the server process did not start");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    (child, base)
}
