//! `/v1/cards`: a customer's virtual debit cards — issue, list, read, freeze, unfreeze, close.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::ledger_request::caller;
use super::peer::Peer;
use crate::cards::card::{Card, IssuedCard, SpendingLimit};
use crate::error::{Error, Problem};
use crate::state::AppState;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_id": "0190b5a2-6c1e-7a3c-9a4e-2f1d3c4b5a69", "spending_limit": {"per_transaction": 50000, "daily": 100000}}))]
pub struct IssueCard {
    pub account_id: Uuid,
    pub spending_limit: Option<SpendingLimit>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CardList {
    pub items: Vec<Card>,
    /// Always null: a customer has few cards.
    pub next_cursor: Option<String>,
}

/// Issues a virtual debit card on one of the caller's open accounts. The response carries the
/// full `pan` and `cvv` — the only time they are ever shown.
#[utoipa::path(
    operation_id = "issue_card",
    tag = "cards",
    security(("bearer" = [])),
    request_body = IssueCard,
    responses(
        (status = 201, description = "the card, with its number and code (shown once)", body = IssuedCard),
        (status = 400, description = "a limit that is not a positive amount", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`account-frozen`, `account-closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/cards")]
pub async fn issue(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Json<IssueCard>,
) -> Result<HttpResponse, Error> {
    let IssueCard { account_id, spending_limit } = body.into_inner();
    let issued = state.cards.issue(&caller(&user, &peer), account_id, spending_limit.unwrap_or_default()).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/cards/{}", issued.card.id))).json(issued))
}

#[utoipa::path(
    operation_id = "list_cards",
    tag = "cards",
    security(("bearer" = [])),
    responses((status = 200, description = "the caller's cards (last four digits only)", body = CardList))
)]
#[get("/v1/cards")]
pub async fn list(state: web::Data<AppState>, user: AuthUser, peer: Peer) -> Result<HttpResponse, Error> {
    let items = state.cards.list(&caller(&user, &peer)).await?;
    Ok(HttpResponse::Ok().json(CardList { items, next_cursor: None }))
}

#[utoipa::path(
    operation_id = "get_card",
    tag = "cards",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the card (last four digits only)", body = Card),
        (status = 404, description = "no such card of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cards/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.cards.get(&caller(&user, &peer), *id).await?))
}

/// Freezes the card: its authorizations are declined `card-frozen` until it is unfrozen.
#[utoipa::path(
    operation_id = "freeze_card",
    tag = "cards",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the card", body = Card),
        (status = 404, description = "no such card of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`card-status`: the card is closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/cards/{id}/freeze")]
pub async fn freeze(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.cards.freeze(&caller(&user, &peer), *id).await?))
}

#[utoipa::path(
    operation_id = "unfreeze_card",
    tag = "cards",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the card", body = Card),
        (status = 404, description = "no such card of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`card-status`: the card is closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/cards/{id}/unfreeze")]
pub async fn unfreeze(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.cards.unfreeze(&caller(&user, &peer), *id).await?))
}

/// Closes the card for good: its authorizations are declined `card-closed` forever.
#[utoipa::path(
    operation_id = "close_card",
    tag = "cards",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "closed"),
        (status = 404, description = "no such card of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/cards/{id}")]
pub async fn close(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.cards.close(&caller(&user, &peer), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
