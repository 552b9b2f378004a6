//! The bare-route reference of the read benchmark (`bench/reads.sh`): actix-web with one route
//! that checks an access token exactly as tresor does (the same `JwtKeys`: Ed25519 with a key
//! id, issuer, audience, the required claims, 5 s leeway) and answers a 300-byte JSON body.
//! Nothing else: no database, no middleware, no token cache.
//!
//! `cargo run --release --example bare_route -- 127.0.0.1:8099` prints a valid token as the
//! first line of its standard output, then serves `GET /me` until stopped.

use std::io::Write;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tresor::crypto::Keys;
use tresor::identity::Role;
use tresor::identity::tokens::{Claims, JwtKeys};

const ISSUER: &str = "tresor";
const AUDIENCE: &str = "tresor-api";

/// About 300 bytes, the size of a customer's `GET /v1/users/me` answer.
fn body() -> String {
    serde_json::json!({
        "id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "email": "bench0@example.com",
        "full_name": "Bench Zero",
        "phone": "+4915112345678",
        "date_of_birth": "1990-01-01",
        "address": {"line1": "1 Main Street", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "ssn_last4": null,
        "roles": ["customer"],
        "kyc_status": "approved",
        "mfa_enabled": false,
        "created_at": "2026-12-05T06:00:00Z"
    })
    .to_string()
}

async fn me(request: HttpRequest, keys: web::Data<JwtKeys>, body: web::Data<String>) -> HttpResponse {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match token.map(|token| keys.verify(token)) {
        Some(Ok(_)) => HttpResponse::Ok().content_type("application/json").body(body.get_ref().clone()),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

fn main() -> anyhow::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8099".to_owned());
    let dir = std::env::temp_dir().join(format!("tresor-bare-route-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let keys = Keys::load(&dir, true)?;
    let jwt = JwtKeys::new(&keys.signing, ISSUER, AUDIENCE)?;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: uuid::Uuid::now_v7(),
        sid: uuid::Uuid::now_v7(),
        roles: vec![Role::Customer],
        kyc_status: "approved".to_owned(),
        mfa: false,
        iat: now,
        exp: now + 3_600,
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        jti: uuid::Uuid::now_v7(),
    };
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", jwt.sign(&claims)?)?;
    stdout.flush()?;
    std::fs::remove_dir_all(&dir)?;
    let (keys, body) = (web::Data::new(jwt), web::Data::new(body()));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new().app_data(keys.clone()).app_data(body.clone()).route("/me", web::get().to(me))
        })
        .bind(&bind)?
        .run()
        .await
    })?;
    Ok(())
}
