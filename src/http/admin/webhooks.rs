//! Webhook endpoints (`webhooks:manage`): registered, listed, changed, deleted, their secret
//! rotated, their deliveries listed and redelivered. The signing scheme and retries are in
//! `crate::webhooks`; docs/events.md is the consumer's guide.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PageQuery, cursor, limit};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::state::AppState;
use crate::webhooks::{Change, Delivery, Endpoint, EndpointWithSecret};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://partner.example/hooks/tresor", "events": ["transaction.posted"], "description": "ledger sync"}))]
pub struct CreateRequest {
    /// Where deliveries are POSTed: https in production; private, loopback and link-local
    /// addresses are refused unless `[webhooks] allow_private_targets`.
    url: String,
    /// Event types (see the `webhooks` of this document), or `["*"]` for every type.
    events: Vec<String>,
    /// At most 500 characters.
    description: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false}))]
pub struct UpdateRequest {
    url: Option<String>,
    events: Option<Vec<String>>,
    /// An empty string removes it.
    description: Option<String>,
    /// Re-enabling an endpoint the system disabled clears its failure record.
    enabled: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EndpointList {
    items: Vec<Endpoint>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    items: Vec<Delivery>,
    next_cursor: Option<String>,
}

fn location(endpoint: &EndpointWithSecret) -> (&'static str, String) {
    ("Location", format!("/v1/admin/webhooks/{}", endpoint.endpoint.id))
}

/// Registers an endpoint; the answer carries its secret, shown this once.
#[utoipa::path(operation_id = "admin_webhook_create", tag = "webhooks", request_body = CreateRequest,
    responses((status = 201, description = "registered; `secret` is shown only here", body = EndpointWithSecret),
        (status = 400, body = Problem, description = "malformed `url`, unknown event type, bad description", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`webhook-target-refused`: not https in production, or a private, loopback, link-local or unresolvable host", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    body: web::Json<CreateRequest>,
) -> Result<HttpResponse, Error> {
    let CreateRequest { url, events, description } = body.into_inner();
    let created = state.webhooks.create(&staff.actor, &url, events, description).await?;
    Ok(HttpResponse::Created().insert_header(location(&created)).json(created))
}

/// Every endpoint (never their secrets).
#[utoipa::path(operation_id = "admin_webhooks", tag = "webhooks",
    responses((status = 200, body = EndpointList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/webhooks")]
pub async fn list(state: web::Data<AppState>, staff: Requires<perm::WebhooksManage>) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(EndpointList { items: state.webhooks.list(&staff.actor).await? }))
}

/// One endpoint.
#[utoipa::path(operation_id = "admin_webhook", tag = "webhooks", params(("id" = Uuid, Path, description = "the endpoint")),
    responses((status = 200, body = Endpoint),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such endpoint", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/webhooks/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.webhooks.get(&staff.actor, *id).await?))
}

/// Changes an endpoint's url, events, description or enabled.
#[utoipa::path(operation_id = "admin_webhook_update", tag = "webhooks", params(("id" = Uuid, Path, description = "the endpoint")),
    request_body = UpdateRequest,
    responses((status = 200, body = Endpoint),
        (status = 400, body = Problem, description = "malformed `url`, unknown event type", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such endpoint", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`webhook-target-refused`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[patch("/v1/admin/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    id: web::Path<Uuid>,
    body: web::Json<UpdateRequest>,
) -> Result<HttpResponse, Error> {
    let UpdateRequest { url, events, description, enabled } = body.into_inner();
    let change = Change { url, events, description: description.map(Some), enabled };
    Ok(HttpResponse::Ok().json(state.webhooks.update(&staff.actor, *id, change).await?))
}

/// Deletes an endpoint and its deliveries.
#[utoipa::path(operation_id = "admin_webhook_delete", tag = "webhooks", params(("id" = Uuid, Path, description = "the endpoint")),
    responses((status = 204, description = "deleted"),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such endpoint", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[delete("/v1/admin/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.webhooks.delete(&staff.actor, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new secret, shown once; the old one keeps signing beside it for 24 hours
/// (`[webhooks] rotation_overlap_secs`): deliveries carry both signatures meanwhile.
#[utoipa::path(operation_id = "admin_webhook_rotate_secret", tag = "webhooks", params(("id" = Uuid, Path, description = "the endpoint")),
    responses((status = 200, body = EndpointWithSecret),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such endpoint", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.webhooks.rotate_secret(&staff.actor, *id).await?))
}

/// The endpoint's deliveries, newest event first.
#[utoipa::path(operation_id = "admin_webhook_deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint"), PageQuery),
    responses((status = 200, body = DeliveryPage),
        (status = 400, body = Problem, description = "bad `id`, `limit` or `cursor`", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such endpoint", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let (limit, cursor) = (limit(query.limit)?, cursor::<Uuid>(query.cursor.as_deref())?);
    let (items, next_cursor) = state.webhooks.deliveries(&staff.actor, *id, limit, cursor).await?;
    Ok(HttpResponse::Ok().json(DeliveryPage { items, next_cursor }))
}

/// Sends the event to the endpoint again (a dead delivery too), with a fresh retry window.
#[utoipa::path(operation_id = "admin_webhook_redeliver", tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint"), ("event_id" = Uuid, Path, description = "the event")),
    responses((status = 202, description = "queued"),
        (status = 400, body = Problem, description = "`id` or `event_id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no delivery of that event to this endpoint", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/webhooks/{id}/deliveries/{event_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    staff: Requires<perm::WebhooksManage>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (id, event) = path.into_inner();
    state.webhooks.redeliver(&staff.actor, id, event).await?;
    Ok(HttpResponse::Accepted().finish())
}
