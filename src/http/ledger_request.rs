//! What the ledger's handlers read from a request: the caller (who, from where) and the body
//! of a deposit or withdrawal, parsed into the ledger's values.

use serde::{Deserialize, Serialize};

use super::authn::AuthUser;
use super::peer::Peer;
use crate::audit::Actor;
use crate::error::{Error, Problem};
use crate::ledger::money::Amount;
use crate::ledger::service::{Caller, MoneyRequest};

/// `{amount, description?}` for deposits and withdrawals.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 2500, "description": "cash at the counter"}))]
pub struct MoneyBody {
    pub amount: Amount,
    /// Up to 140 characters, shown in the history.
    pub description: Option<String>,
}

pub fn description(raw: Option<String>) -> Result<Option<String>, Error> {
    let Some(text) = raw.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()) else { return Ok(None) };
    if text.chars().count() > 140 || text.chars().any(char::is_control) {
        let mut errors = crate::error::FieldErrors::new();
        errors.insert("description".into(), vec!["at most 140 characters, no control characters".into()]);
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok(Some(text))
}

pub fn money_request(amount: Amount, text: Option<String>) -> Result<MoneyRequest, Error> {
    Ok(MoneyRequest { amount, description: description(text)? })
}

pub fn caller(user: &AuthUser, peer: &Peer) -> Caller {
    Caller {
        user_id: user.user_id,
        session_id: user.session_id,
        actor: Actor {
            user_id: Some(user.user_id),
            ip: peer.ip.map(|ip| ip.to_string()),
            user_agent: peer.user_agent.clone(),
        },
    }
}
