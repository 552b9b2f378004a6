//! What a KYC change tells people, in the same transaction as the change: staff are notified of
//! each submission; the customer is emailed the decision.

use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::email::{Email, Template};
use tresor_jobs::{Deferred, Store};
use uuid::Uuid;

use super::{KycState, KycStatus};
use crate::crypto::KeyRing;
use crate::identity::store::users;
use crate::{mail, notifications};

/// A staff notification for a new submission (ids only: notifications are not sealed).
pub async fn submitted(conn: &mut AnyConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    let message = format!("KYC submitted by user {user_id}; awaiting review");
    notifications::notify(conn, notifications::KYC_SUBMITTED, "user", &user_id.to_string(), &message).await?;
    Ok(())
}

/// Queues the decision's email to the user (`kyc_approved` / `kyc_rejected` with the reason).
/// Push the returned job after the commit (Redis); nothing is sent to a user without an email.
pub async fn reviewed(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    jobs: &Store,
    user_id: Uuid,
    state: &KycState,
) -> Result<Deferred, sqlx::Error> {
    let Some(user) = users::find(&mut *conn, user_id).await? else { return Ok(Deferred::default()) };
    let Some(to) = user.email.clone().filter(|_| !user.is_deleted()) else { return Ok(Deferred::default()) };
    let (template, data) = match state.status {
        KycStatus::Approved => (Template::KycApproved, json!({ "full_name": user.full_name })),
        _ => (
            Template::KycRejected,
            json!({ "full_name": user.full_name, "reason": state.rejection_reason.clone().unwrap_or_default() }),
        ),
    };
    let (_, deferred) = mail::send(conn, ring, jobs, Email { to, template, data }).await?;
    Ok(deferred)
}
