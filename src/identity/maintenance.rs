//! Store work for the periodic jobs (`expire_lockouts`, `cleanup`): plain functions over the
//! database, so the jobs crate calls them through its small trait without knowing SQL.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::store::{self, retention};
use crate::audit::{self, Actor, Event};
use crate::db::Db;

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
        audit::record(&mut tx, &Actor::system(), event).await?;
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

/// Deletes ended sessions (with their refresh tokens), expired one-time tokens (OpenID flows and
/// pending links included) and MFA challenges, and purges the personal data of users deleted more than `retention` ago. The
/// audit chain and (later) ledger rows are left intact: they refer to users by id only.
#[tracing::instrument(skip_all)]
pub async fn cleanup(db: &Db, now: DateTime<Utc>, retention: Duration) -> Result<CleanupReport, sqlx::Error> {
    let mut tx = db.begin().await?;
    let sessions = retention::delete_ended_sessions(&mut tx, now - Duration::days(ENDED_SESSION_KEPT_DAYS)).await?;
    // OpenID flows and pending links are one-time tokens too.
    let one_time_tokens = retention::delete_expired_one_time_tokens(&mut tx, now).await?
        + retention::delete_expired_sign_in_flows(&mut tx, now).await?;
    let mfa_challenges = retention::delete_expired_mfa_challenges(&mut tx, now).await?;
    let due = retention::due_for_purge(&mut tx, now - retention).await?;
    for id in &due {
        retention::purge_user(&mut tx, *id, now).await?;
        let event = Event {
            action: "user.purged",
            target_type: "user",
            target_id: Some(id.to_string()),
            old: None,
            new: Some(json!({"personal_data": "purged"})),
        };
        audit::record(&mut tx, &Actor::system(), event).await?;
    }
    tx.commit().await?;
    Ok(CleanupReport { sessions, one_time_tokens, mfa_challenges, users_purged: due.len() as u64 })
}
