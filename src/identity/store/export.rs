//! The rows a user's data export lists beside the profile: their sessions, the security events
//! about them, and the audit entries by or about them. Every column as stored (text or null).

use serde::Serialize;
use sqlx::AnyPool;
use uuid::Uuid;

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct SessionEntry {
    pub id: Option<String>,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct SecurityEventEntry {
    pub id: Option<String>,
    pub at: Option<String>,
    pub kind: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: Option<String>,
    pub at: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub new_value: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn sessions(pool: &AnyPool, user_id: Uuid) -> Result<Vec<SessionEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, device_name, ip, user_agent, created_at, last_used_at, revoked_at FROM sessions \
         WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user_id.to_string())
    .fetch_all(pool)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn security_events(pool: &AnyPool, user_id: Uuid) -> Result<Vec<SecurityEventEntry>, sqlx::Error> {
    sqlx::query_as("SELECT id, at, kind, ip, detail FROM security_events WHERE user_id = $1 ORDER BY id")
        .bind(user_id.to_string())
        .fetch_all(pool)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn audit_entries(pool: &AnyPool, user_id: Uuid) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, action, target_type, target_id, ip, new_value FROM audit_log \
         WHERE actor_id = $1 OR target_id = $1 ORDER BY seq",
    )
    .bind(user_id.to_string())
    .fetch_all(pool)
    .await
}
