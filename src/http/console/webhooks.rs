//! Webhook endpoints (`webhooks:manage`), as through `/v1/admin/webhooks`: the list with a form
//! to register one, one endpoint with its deliveries, and its changes — url, events and
//! description, enable or disable, a new secret, a delivery sent again, deletion. A secret is
//! shown once, on the page that answers the registration or the rotation; it is never shown
//! again.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::guard::{StaffSession, TokenForm, check_form};
use super::refusal::Refusal;
use super::render::{DetailView, Notice, done, page, value};
use crate::authz::Permission;
use crate::events::EventType;
use crate::http::browser_session::BrowserSessions;
use crate::http::paging::cursor;
use crate::state::AppState;
use crate::webhooks::{Change, EndpointWithSecret};

/// Deliveries per page.
const PAGE: u32 = 25;

fn endpoint_page(id: Uuid) -> String {
    format!("/console/webhooks/{id}")
}

/// The event types a form lists, comma- or space-separated; `*` for all.
fn event_list(raw: &str) -> Vec<String> {
    raw.split([',', ' ', '\n', '\r', '\t']).map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect()
}

fn event_types() -> Vec<&'static str> {
    EventType::ALL.iter().map(|t| t.name()).collect()
}

/// The page that shows a new secret, once.
fn secret_page(staff: &StaffSession, shown: &EndpointWithSecret, title: &str) -> Result<HttpResponse, Refusal> {
    let data = json!({"endpoint": value(&shown.endpoint)?, "secret": shown.secret.expose_secret()});
    page(staff, "webhooks", title, "webhook_secret.html", None, data)
}

console_page!("console_webhooks_list", [Notice] []
/// Webhook endpoints and their state, and a form to register one. HTML.
#[get("/console/webhooks")]
pub async fn list(state: web::Data<AppState>, staff: StaffSession, notice: web::Query<Notice>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let endpoints = state.webhooks.list(&actor).await?;
    let data = json!({"items": value(&endpoints)?, "event_types": event_types()});
    page(&staff, "webhooks", "Webhooks", "webhooks.html", Some(&notice), data)
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "url": "https://hooks.example.com/tresor", "events": "transfer.completed, account.frozen", "description": "the ledger mirror"}))]
pub struct EndpointForm {
    csrf_token: String,
    /// `https://…` (any scheme but https is refused in production).
    url: String,
    /// Event types, comma- or space-separated, or `*` for all.
    events: String,
    description: Option<String>,
}

/// Registers an endpoint (as `POST /v1/admin/webhooks`) and answers the page that shows its
/// secret, this once.
#[utoipa::path(operation_id = "console_webhooks_create", tag = "staff console",
    request_body(content = EndpointForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "registered: the endpoint with its secret, shown this once"),
        (status = 303, description = "not signed in: to the sign-in page"),
        (status = 400, description = "a form that does not parse (problem), or a url, event type or description the form refuses (HTML)",
            content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed (nothing changed), not staff, or without `webhooks:manage`"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, content_type = "text/html", body = String, description = "`webhook-target-refused`: not https in production, or a private target"),
    ))]
#[post("/console/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    posted: web::Form<EndpointForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let EndpointForm { url, events, description, .. } = posted.into_inner();
    let created = state.webhooks.create(&actor, &url, event_list(&events), description).await?;
    secret_page(&staff, &created, "Webhook registered")
}

console_page!("console_webhooks_detail", [("id" = Uuid, Path, description = "the endpoint"), DetailView]
    [(status = 404, content_type = "text/html", body = String, description = "no such endpoint")]
/// One endpoint: its settings, its deliveries (newest first, paged) and its changes. HTML.
#[get("/console/webhooks/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    staff: StaffSession,
    id: web::Path<Uuid>,
    query: web::Query<DetailView>,
) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let shown = state.webhooks.endpoint_page(&actor, *id, PAGE, cursor(query.cursor.as_deref())?).await?;
    let data = json!({
        "endpoint": value(&shown.endpoint)?,
        "events": shown.endpoint.events.join(", "),
        "deliveries": value(&shown.deliveries)?,
        "next_cursor": shown.next_cursor,
        "event_types": event_types(),
    });
    page(&staff, "webhooks", "Webhook endpoint", "webhook.html", Some(&query.notice()), data)
});

console_action!("console_webhooks_update", [("id" = Uuid, Path, description = "the endpoint")] EndpointForm
    [(status = 404, content_type = "text/html", body = String, description = "no such endpoint"),
     (status = 422, content_type = "text/html", body = String, description = "`webhook-target-refused`")]
/// Changes the endpoint's url, events and description (as `PATCH /v1/admin/webhooks/{id}`).
#[post("/console/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<EndpointForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let EndpointForm { url, events, description, .. } = posted.into_inner();
    let change = Change { url: Some(url), events: Some(event_list(&events)), description: Some(description), enabled: None };
    state.webhooks.update(&actor, *id, change).await?;
    Ok(done(&endpoint_page(*id), "webhook-changed"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "enabled": "false"}))]
pub struct EnabledForm {
    csrf_token: String,
    /// `true` to send deliveries again (the failure record is cleared), `false` to stop.
    enabled: bool,
}

console_action!("console_webhooks_enabled", [("id" = Uuid, Path, description = "the endpoint")] EnabledForm
    [(status = 404, content_type = "text/html", body = String, description = "no such endpoint")]
/// Enables or disables the endpoint (as `PATCH /v1/admin/webhooks/{id}` with `enabled`).
#[post("/console/webhooks/{id}/enabled")]
pub async fn set_enabled(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<EnabledForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let change = Change { url: None, events: None, description: None, enabled: Some(posted.enabled) };
    state.webhooks.update(&actor, *id, change).await?;
    Ok(done(&endpoint_page(*id), if posted.enabled { "webhook-enabled" } else { "webhook-disabled" }))
});

/// A new secret (as `POST /v1/admin/webhooks/{id}/rotate-secret`), shown this once; the old one
/// keeps signing beside it for the rotation overlap.
#[utoipa::path(operation_id = "console_webhooks_rotate_secret", tag = "staff console",
    params(("id" = Uuid, Path, description = "the endpoint")),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "the endpoint with its new secret, shown this once"),
        (status = 303, description = "not signed in: to the sign-in page"),
        (status = 400, description = "a path or form that does not parse", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed (nothing changed), not staff, or without `webhooks:manage`"),
        (status = 404, content_type = "text/html", body = String, description = "no such endpoint"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/console/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let rotated = state.webhooks.rotate_secret(&actor, *id).await?;
    secret_page(&staff, &rotated, "New webhook secret")
}

console_action!("console_webhooks_delete", [("id" = Uuid, Path, description = "the endpoint")] TokenForm
    [(status = 404, content_type = "text/html", body = String, description = "no such endpoint")]
/// Deletes the endpoint and its deliveries (as `DELETE /v1/admin/webhooks/{id}`).
#[post("/console/webhooks/{id}/delete")]
pub async fn delete(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    state.webhooks.delete(&actor, *id).await?;
    Ok(done("/console/webhooks", "webhook-deleted"))
});

console_action!("console_webhooks_redeliver",
    [("id" = Uuid, Path, description = "the endpoint"), ("event_id" = Uuid, Path, description = "the event")] TokenForm
    [(status = 404, content_type = "text/html", body = String, description = "no delivery of that event to this endpoint")]
/// Sends the event to the endpoint again with a fresh retry window (as
/// `POST /v1/admin/webhooks/{id}/deliveries/{event_id}/redeliver`).
#[post("/console/webhooks/{id}/deliveries/{event_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    path: web::Path<(Uuid, Uuid)>,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::WebhooksManage).await?;
    let (id, event) = path.into_inner();
    state.webhooks.redeliver(&actor, id, event).await?;
    Ok(done(&endpoint_page(id), "redelivered"))
});

#[cfg(test)]
mod tests {
    #[test]
    fn event_types_are_split_on_commas_and_spaces() {
        assert_eq!(
            super::event_list(" transfer.completed,account.frozen\n*  "),
            ["transfer.completed", "account.frozen", "*"]
        );
        assert!(super::event_list(" , ").is_empty());
    }
}
