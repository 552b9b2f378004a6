//! Store work for the periodic jobs (`expire_lockouts`, `cleanup`): plain functions over the
//! database, so the jobs crate calls them through its small trait without knowing SQL.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::store;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, time};

/// Ends every lockout whose time is up, each with its audit entry. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn expire_lockouts(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(expire_lockouts_of(db, now, None).await?.len() as u64)
}

/// Ends the lockouts of `user` (or of everyone) whose time is up; login calls it lazily.
pub async fn expire_lockouts_of(db: &Db, now: DateTime<Utc>, user: Option<Uuid>) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let unlocked = store::lockout::expire(&mut tx, now, user).await?;
    for id in &unlocked {
        let event = Event {
            action: "user.unlocked",
            target_type: "user",
            target_id: Some(id.to_string()),
            old: None,
            new: Some(json!({"locked_until": null, "reason": "lockout_expired"})),
        };
        audit::append(&mut tx, db.dialect(), &Actor::system(), event).await?;
    }
    tx.commit().await?;
    Ok(unlocked)
}

/// What one cleanup run removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CleanupReport {
    pub sessions: u64,
    pub one_time_tokens: u64,
    pub mfa_challenges: u64,
    pub users_purged: u64,
}

/// How long an ended session is kept (for the session list's history and new-device checks).
const ENDED_SESSION_KEPT_DAYS: i64 = 30;

/// Deletes ended sessions (with their refresh tokens), expired one-time tokens and MFA
/// challenges, and purges the personal data of users deleted more than `retention` ago. The
/// audit chain and (later) ledger rows are left intact: they refer to users by id only.
#[tracing::instrument(skip_all)]
pub async fn cleanup(db: &Db, now: DateTime<Utc>, retention: Duration) -> Result<CleanupReport, sqlx::Error> {
    let mut report = CleanupReport::default();
    let now_text = time::to_db(now);
    let ended = time::to_db(now - Duration::days(ENDED_SESSION_KEPT_DAYS));
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM refresh_tokens WHERE session_id IN \
         (SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at < $1)",
    )
    .bind(&ended)
    .execute(&mut *tx)
    .await?;
    report.sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
        .bind(&ended)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    report.one_time_tokens = sqlx::query("DELETE FROM one_time_tokens WHERE expires_at < $1")
        .bind(&now_text)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    report.mfa_challenges = sqlx::query("DELETE FROM mfa_challenges WHERE expires_at < $1")
        .bind(&now_text)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE deleted_at < $1 AND purged_at IS NULL ORDER BY deleted_at LIMIT 500",
    )
    .bind(time::to_db(now - retention))
    .fetch_all(&mut *tx)
    .await?;
    for id in &due {
        purge_user(&mut tx, db, id, &now_text).await?;
    }
    report.users_purged = due.len() as u64;
    tx.commit().await?;
    Ok(report)
}

async fn purge_user(tx: &mut sqlx::AnyConnection, db: &Db, id: &str, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = NULL, full_name = '', password_hash = NULL, phone = NULL, date_of_birth = NULL, \
         ssn = NULL, ssn_index = NULL, address = NULL, purged_at = $1, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sessions SET device_name = NULL, ip = NULL, user_agent = NULL WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE security_events SET ip = NULL, detail = '{}' WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let event = Event {
        action: "user.purged",
        target_type: "user",
        target_id: Some(id.to_owned()),
        old: None,
        new: Some(json!({"personal_data": "purged"})),
    };
    audit::append(tx, db.dialect(), &Actor::system(), event).await?;
    Ok(())
}
