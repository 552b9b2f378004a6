//! The card owner's alerts that follow a committed change: a large authorization. Queued in a
//! transaction of their own right after the hold commits, delivered by the job queue.

use serde_json::json;
use tresor_jobs::email::{Email, Template};

use super::card::Card;
use super::service::Cards;
use super::store;
use crate::mail;

/// Emails the card's owner that `amount` at `merchant` was authorized. A failure is logged: the
/// hold has committed and the network has its answer.
pub(super) async fn large_authorization(cards: &Cards, card: &Card, amount: &str, merchant: &str) {
    if let Err(error) = send(cards, card, amount, merchant).await {
        tracing::warn!(card = %card.id, error = %error, "large-authorization email not queued");
    }
}

async fn send(cards: &Cards, card: &Card, amount: &str, merchant: &str) -> Result<(), sqlx::Error> {
    let mut tx = cards.db.begin().await?;
    let Some((to, full_name)) = store::owner_contact(&mut tx, card.user_id).await? else { return Ok(()) };
    let data = json!({"amount": amount, "last4": card.last4, "merchant": merchant, "full_name": full_name});
    let email = Email { to, template: Template::LargeAuthorization, data };
    let (_, deferred) = mail::send(&mut tx, &cards.keys.encryption, &cards.jobs, email).await?;
    tx.commit().await?;
    deferred.after_commit(&cards.jobs).await;
    Ok(())
}
