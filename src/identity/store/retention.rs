//! What the cleanup job removes: ended sessions (with their refresh tokens), expired one-time
//! tokens and MFA challenges, and the personal data of users deleted long enough ago.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::{decode, time};

/// Deletes sessions that expired or were revoked before `before`, with their refresh tokens;
/// returns how many sessions.
#[tracing::instrument(skip_all)]
pub async fn delete_ended_sessions(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let before = time::to_db(before);
    sqlx::query(
        "DELETE FROM refresh_tokens WHERE session_id IN \
         (SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at < $1)",
    )
    .bind(&before)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
        .bind(&before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes one-time tokens that expired before `now`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn delete_expired_one_time_tokens(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM one_time_tokens WHERE expires_at < $1").bind(time::to_db(now)).execute(conn).await?;
    Ok(done.rows_affected())
}

/// Deletes MFA sign-in challenges that expired before `now`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn delete_expired_mfa_challenges(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM mfa_challenges WHERE expires_at < $1").bind(time::to_db(now)).execute(conn).await?;
    Ok(done.rows_affected())
}

/// Up to 500 users deleted before `before` whose personal data is still held, oldest first.
#[tracing::instrument(skip_all)]
pub async fn due_for_purge(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE deleted_at < $1 AND purged_at IS NULL ORDER BY deleted_at LIMIT 500",
    )
    .bind(time::to_db(before))
    .fetch_all(conn)
    .await?;
    ids.iter().map(|id| decode::uuid(id)).collect()
}

/// Erases a user's personal data: the row keeps its id (the audit chain and the ledger refer
/// to it), its sessions lose device and address, its security events their details.
#[tracing::instrument(skip_all)]
pub async fn purge_user(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let id = id.to_string();
    sqlx::query(
        "UPDATE users SET email = NULL, full_name = '', password_hash = NULL, phone = NULL, date_of_birth = NULL, \
         ssn = NULL, ssn_index = NULL, address = NULL, purged_at = $1, updated_at = $1 WHERE id = $2",
    )
    .bind(time::to_db(now))
    .bind(&id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE sessions SET device_name = NULL, ip = NULL, user_agent = NULL WHERE user_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE security_events SET ip = NULL, detail = '{}' WHERE user_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    // The provider identities (their subject and email identify the person), any link or flow
    // still waiting, and the passkeys with the user handle authenticators know the person by.
    for sql in [
        "DELETE FROM user_identities WHERE user_id = $1",
        "DELETE FROM oidc_pending_links WHERE user_id = $1",
        "DELETE FROM oidc_flows WHERE link_user_id = $1",
        "DELETE FROM passkeys WHERE user_id = $1",
        "DELETE FROM passkey_ceremonies WHERE user_id = $1",
        "DELETE FROM passkey_users WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(&id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes OpenID sign-in flows, pending links and passkey ceremonies that expired before `now`;
/// returns how many.
#[tracing::instrument(skip_all)]
pub async fn delete_expired_sign_in_flows(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let now = time::to_db(now);
    let flows = sqlx::query("DELETE FROM oidc_flows WHERE expires_at < $1").bind(&now).execute(&mut *conn).await?;
    let links =
        sqlx::query("DELETE FROM oidc_pending_links WHERE expires_at < $1").bind(&now).execute(&mut *conn).await?;
    let ceremonies =
        sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at < $1").bind(&now).execute(conn).await?;
    Ok(flows.rows_affected() + links.rows_affected() + ceremonies.rows_affected())
}
