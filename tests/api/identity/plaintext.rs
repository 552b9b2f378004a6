//! Nothing secret at rest or in the logs: a real `tresor serve` (debug logging) goes through
//! every identity flow and MFA enrolment, then its SQLite file (with WAL) or a `pg_dump`, and
//! its log output, are searched for the SSN, address, phone, passwords, every token it handed
//! out, the TOTP secret and the backup codes.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tresor::crypto::Keys;
use tresor::db::Db;

use crate::support::identity::Running;
use crate::support::{TestDatabase, cli_command};

// Not "123-45-6789": its digits are a substring of every base-32 alphabet (apalis's ULID
// function in the job queue's schema holds one), which is not a leak.
const SSN: &str = "482-71-3956";
const ADDRESS: &str = "742 Evergreen Terrace";
const PHONE: &str = "+14155550123";
const PASSWORD: &str = "correct horse battery staple 42";
const NEW_PASSWORD: &str = "a brand new passphrase 2026";

struct Server {
    base: String,
    client: reqwest::Client,
    db: Db,
    keys: Keys,
    /// Where the server writes mail it has sent (no SMTP server configured).
    mail_dir: std::path::PathBuf,
}

impl Server {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
        let request = self.client.post(format!("{}{path}", self.base)).json(&body);
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.send().await.unwrap()
    }

    /// The link's token in the message the mail worker wrote for outbox row `id`, once written
    /// (quoted-printable soft breaks joined).
    fn sent_token(&self, id: &uuid::Uuid) -> Option<String> {
        let text = std::fs::read_to_string(self.mail_dir.join(format!("{id}.eml"))).ok()?;
        let text = text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
        let after = text.split("?token=").nth(1)?;
        Some(after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
    }

    /// The token in the newest link of `template`, opened from the sealed outbox or, once sent,
    /// from the written message.
    async fn mailed_token(&self, template: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT id, payload FROM email_outbox WHERE template = $1 ORDER BY id DESC")
                    .bind(template)
                    .fetch_all(self.db.reader())
                    .await
                    .unwrap();
            if let Some((id, payload)) = rows.into_iter().next() {
                let id = uuid::Uuid::parse_str(&id).unwrap();
                match tresor::mail::open(&self.keys.encryption, &id, template, payload.as_deref()).unwrap() {
                    Some(mail) => {
                        return mail.data["link"].as_str().unwrap().split("?token=").nth(1).unwrap().to_owned();
                    }
                    // Sent already (its sealed payload is erased): the written message holds the link.
                    None => {
                        if let Some(token) = self.sent_token(&id) {
                            return token;
                        }
                    }
                }
            }
            assert!(Instant::now() < deadline, "no {template} email");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs every flow and returns the secrets it saw.
async fn exercise(server: &Server) -> Vec<String> {
    let email = "scan@example.com";
    let mut secrets =
        vec![SSN.into(), "482713956".into(), ADDRESS.into(), PHONE.into(), PASSWORD.into(), NEW_PASSWORD.into()];
    let registration = json!({"email": email, "password": PASSWORD, "full_name": "Scan Me", "ssn": SSN,
        "phone": PHONE, "date_of_birth": "1990-05-17",
        "address": {"line1": ADDRESS, "city": "Springfield", "postal_code": "49007", "country": "US"}});
    assert_eq!(server.post("/v1/auth/register", None, registration).await.status(), 201);
    let verify = server.mailed_token("verify_email").await;
    assert_eq!(server.post("/v1/auth/verify-email", None, json!({"token": verify})).await.status(), 204);
    secrets.push(verify);
    let wrong =
        server.post("/v1/auth/login", None, json!({"email": email, "password": "wrong guess number one"})).await;
    assert_eq!(wrong.status(), 401);
    secrets.push("wrong guess number one".into());
    let pair: Value =
        server.post("/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await.json().await.unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let next: Value =
        server.post("/v1/auth/refresh", None, json!({"refresh_token": refresh})).await.json().await.unwrap();
    let access = next["access_token"].as_str().unwrap().to_owned();
    let me = server.client.get(format!("{}/v1/users/me", server.base)).bearer_auth(&access).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // MFA: the TOTP secret is sealed at rest, backup codes are stored hashed.
    let setup: Value = server.post("/v1/mfa/totp/setup", Some(&access), json!({})).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let key = crate::support::mfa::base32_decode(&secret);
    let code = crate::support::mfa::hotp(&key, crate::support::mfa::unix_now() / 30, 6);
    let enabled = server.post("/v1/mfa/totp/enable", Some(&access), json!({"code": code})).await;
    assert_eq!(enabled.status(), 200);
    let enabled: Value = enabled.json().await.unwrap();
    for backup in enabled["backup_codes"].as_array().unwrap() {
        let backup = backup.as_str().unwrap();
        secrets.extend([backup.to_owned(), backup.replace('-', "")]);
    }
    secrets.extend([secret.clone(), secret.to_lowercase(), hex::encode(&key)]);
    let change = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    assert_eq!(server.post("/v1/users/me/password", Some(&access), change).await.status(), 204);
    assert_eq!(server.post("/v1/auth/password/forgot", None, json!({"email": email})).await.status(), 202);
    let reset = server.mailed_token("password_reset").await;
    let body = json!({"token": reset, "new_password": "yet another passphrase 99"});
    assert_eq!(server.post("/v1/auth/password/reset", None, body).await.status(), 204);
    secrets.extend([reset, refresh, "yet another passphrase 99".into()]);
    secrets.push(next["refresh_token"].as_str().unwrap().to_owned());
    secrets.push(access.split('.').nth(2).unwrap().to_owned());
    secrets
}

#[actix_web::test]
async fn no_secret_is_found_in_the_database_files_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let log_path = dir.path().join("server.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = cli_command(dir.path(), &database.url)
        .env("RUST_LOG", "debug")
        .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
        .env("TRESOR__PASSWORDS__ARGON2_MEMORY_KIB", "1024")
        .env("TRESOR__PASSWORDS__ARGON2_ITERATIONS", "1")
        .arg("serve")
        .stderr(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/health/ready")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < deadline, "server did not start");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let settings = tresor::db::PoolSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Duration::ZERO,
    };
    let db = Db::connect(&database.url.clone().into(), &settings).await.unwrap();
    let keys = Keys::load(&dir.path().join("keys"), false).unwrap();
    let server = Server { base, client, db, keys, mail_dir: dir.path().join("mail") };
    let secrets = exercise(&server).await;
    server.db.close().await;
    Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    let _ = child.0.wait();

    let mut haystacks = vec![("log", std::fs::read(&log_path).unwrap())];
    if database.is_postgres() {
        let dump = Command::new("pg_dump").arg(&database.url).output().unwrap();
        assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
        haystacks.push(("pg_dump", dump.stdout));
    } else {
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(bytes) = std::fs::read(dir.path().join(format!("tresor.db{suffix}"))) {
                haystacks.push(("sqlite file", bytes));
            }
        }
    }
    assert!(
        haystacks.iter().any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("scan@example.com")),
        "the scan sees data"
    );
    for (name, bytes) in &haystacks {
        let text = String::from_utf8_lossy(bytes);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{name} holds a secret in plaintext: {secret}");
        }
    }
}
