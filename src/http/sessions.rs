//! `GET /v1/auth/sessions`, `DELETE /v1/auth/sessions/{id}`.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::authn::AuthUser;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    id: Uuid,
    device_name: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    /// How the session was opened: `password`, `oidc:<provider>` (e.g. `oidc:google`) or `passkey`.
    via: String,
    /// The session of the token making this request.
    current: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    items: Vec<SessionView>,
}

/// The caller's live sessions, newest first.
#[utoipa::path(tag = "identity", responses((status = 200, body = SessionList), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[get("/v1/auth/sessions")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let sessions = state.sessions.list(user.user_id).await?;
    let items = sessions
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            device_name: s.device_name,
            ip: s.ip,
            user_agent: s.user_agent,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            via: s.via,
            current: s.id == user.session_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SessionList { items }))
}

/// End one of the caller's sessions (404 when it is not theirs).
#[utoipa::path(tag = "identity", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[delete("/v1/auth/sessions/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.sessions.revoke_session(user.user_id, id.into_inner(), &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
