//! `GET /v1/accounts/{id}/holds`: the money card authorizations reserve on an account.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use uuid::Uuid;

use super::authn::AuthUser;
use super::ledger_request::caller;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::ledger::hold::Hold;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct HoldList {
    /// Open holds first (oldest first among them), then the most recent ended ones; at most 200.
    pub items: Vec<Hold>,
    /// Always null: the list is not paged.
    pub next_cursor: Option<String>,
}

/// The account's open and recent holds. `balance - available_balance` is what the open ones
/// reserve.
#[utoipa::path(
    operation_id = "list_holds",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the account's holds", body = HoldList),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts/{id}/holds")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let items = state.ledger.holds(&caller(&user, &peer), *id).await?;
    Ok(HttpResponse::Ok().json(HoldList { items, next_cursor: None }))
}
