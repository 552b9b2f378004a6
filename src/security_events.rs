//! The security events staff watch (`GET /v1/admin/security-events`): failed logins, lockouts,
//! refresh-token reuse, rate-limit hits, and later suspicious transfers. Unlike the audit chain
//! these are observations, not changes: written by whoever sees one, kept for review.

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::time;
use crate::events::{self, EventType, NewEvent};

pub const LOGIN_FAILED: &str = "login_failed";
pub const ACCOUNT_LOCKED: &str = "account_locked";
pub const REFRESH_TOKEN_REUSE: &str = "refresh_token_reuse";
pub const RATE_LIMITED: &str = "rate_limited";
pub const DUPLICATE_SSN: &str = "duplicate_ssn";
pub const MFA_FAILED: &str = "mfa_failed";
pub const MFA_LOCKED: &str = "mfa_locked";
/// A passkey answered with a sign counter that did not move forward (a cloned authenticator?).
pub const PASSKEY_COUNTER_REGRESSION: &str = "passkey_counter_regression";

#[derive(Clone, Debug)]
pub struct SecurityEvent {
    pub kind: &'static str,
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    /// A keyed hash of what was targeted when there is no user (an attempted email).
    pub subject: Option<String>,
    /// Facts for the reviewer; never secrets or personal data.
    pub detail: serde_json::Value,
}

/// Records `event` on `conn` (inside the caller's transaction when it has one).
#[tracing::instrument(skip_all, fields(kind = event.kind))]
pub async fn record(conn: &mut AnyConnection, event: SecurityEvent) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO security_events (id, at, kind, user_id, ip, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(time::to_db(time::now()))
    .bind(event.kind)
    .bind(event.user_id.map(|u| u.to_string()))
    .bind(event.ip)
    .bind(event.subject)
    .bind(event.detail.to_string())
    .execute(&mut *conn)
    .await?;
    // The user's own alert: the kind only (the reviewer's detail and the address stay here).
    if let Some(user) = event.user_id {
        let data = serde_json::json!({"security_event_id": id, "user_id": user, "kind": event.kind});
        events::record(conn, NewEvent::new(EventType::SecurityAlert, ("user", user), Some(user), data)).await?;
    }
    metrics::counter!("security_events_total", "kind" => event.kind).increment(1);
    Ok(id)
}
