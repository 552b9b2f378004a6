//! `passkey_users`: the WebAuthn user handle of each user who started a registration. A random
//! UUID v4, so an authenticator (and anyone reading it) learns neither the email nor the
//! account id.

use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::{decode, time};

/// The user's handle, made on first use (two concurrent first uses agree on one).
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn handle_of(conn: &mut AnyConnection, user_id: Uuid) -> Result<Uuid, sqlx::Error> {
    sqlx::query(
        "INSERT INTO passkey_users (user_id, handle, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id.to_string())
    .bind(Uuid::new_v4().to_string())
    .bind(time::to_db(time::now()))
    .execute(&mut *conn)
    .await?;
    let handle: String = sqlx::query_scalar("SELECT handle FROM passkey_users WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_one(conn)
        .await?;
    decode::uuid(&handle)
}

/// Whose handle `handle` is.
#[tracing::instrument(skip_all)]
pub async fn user_of_handle<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    handle: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    let user: Option<String> = sqlx::query_scalar("SELECT user_id FROM passkey_users WHERE handle = $1")
        .bind(handle.to_string())
        .fetch_optional(executor)
        .await?;
    user.as_deref().map(decode::uuid).transpose()
}
