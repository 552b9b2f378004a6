//! `GET /v1/users/me/identities`, `POST …/identities/{provider}` (link while signed in),
//! `DELETE …/identities/{id}`.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentityView {
    id: Uuid,
    /// The provider's name in `[oidc.providers]`.
    provider: String,
    /// The address the provider asserted when it was linked.
    email: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentityList {
    items: Vec<IdentityView>,
}

/// The sign-in providers linked to the caller.
#[utoipa::path(tag = "users", operation_id = "list_identities", responses((status = 200, body = IdentityList), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[get("/v1/users/me/identities")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let items = state
        .federation
        .identities(user.user_id)
        .await?
        .into_iter()
        .map(|i| IdentityView {
            id: i.id,
            provider: i.provider,
            email: i.email,
            created_at: i.created_at,
            last_used_at: i.last_used_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(IdentityList { items }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"redirect_to": "https://app.example.com/settings"}))]
pub struct LinkStart {
    /// Where the browser returns once the provider is linked (an allowed origin).
    redirect_to: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthorizationUrl {
    /// Send the browser here; the callback links the provider to the caller.
    authorization_url: String,
}

/// Start linking a provider to the signed-in caller (no password needed: they are signed in).
#[utoipa::path(tag = "users", operation_id = "link_identity",
    params(("identity" = String, Path, description = "the provider's name in the configuration")), request_body = LinkStart,
    responses((status = 200, body = AuthorizationUrl), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)),
    security(("bearer" = [])))]
#[post("/v1/users/me/identities/{identity}")]
pub async fn link(
    state: web::Data<AppState>,
    browser: web::Data<super::browser_session::BrowserSessions>,
    user: AuthUser,
    provider: web::Path<String>,
    body: web::Json<LinkStart>,
) -> Result<HttpResponse, Error> {
    let redirect_to = super::oidc::allowed_redirect(&browser, &body.redirect_to)?;
    let url = state.federation.start(&provider, &redirect_to, Some(user.user_id)).await?;
    Ok(HttpResponse::Ok().json(AuthorizationUrl { authorization_url: url }))
}

/// Unlink a provider. 409 `last-sign-in-method` when it is the caller's only way to sign in.
#[utoipa::path(tag = "users", operation_id = "unlink_identity",
    params(("identity" = Uuid, Path, description = "the linked identity's id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[delete("/v1/users/me/identities/{identity}")]
pub async fn unlink(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.federation.unlink(user.user_id, id.into_inner(), &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
