//! Building the emails identity sends: links point at the client application under the public
//! URL, with the token in the fragment so it never reaches a server log or a Referer header.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::email::{Email, Template};

use crate::state::AppState;

pub fn link(state: &AppState, page: &str, token: &str) -> String {
    format!("{}/{page}#token={token}", state.config.public_url)
}

pub async fn send(
    conn: &mut AnyConnection,
    state: &AppState,
    to: &str,
    template: Template,
    data: serde_json::Value,
) -> Result<(), sqlx::Error> {
    crate::mail::queue(conn, &state.keys.encryption, Email { to: to.to_owned(), template, data }).await.map(|_| ())
}

pub fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Someone registered (or tried to) with an address that already has an account.
pub fn registration_attempt(state: &AppState, full_name: &str) -> serde_json::Value {
    json!({
        "full_name": full_name,
        "link": format!("{}/forgot-password", state.config.public_url),
        "at": when(Utc::now()),
    })
}
