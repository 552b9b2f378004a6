//! `GET /v1/auth/sessions`, `DELETE /v1/auth/sessions/{id}`.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::authn::AuthUser;
use super::client::Client;
use crate::db::time;
use crate::error::{ApiError, Problem};
use crate::identity::service::logout;
use crate::identity::store;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    id: Uuid,
    device_name: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
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
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let rows = store::sessions::list_live(state.db.reader(), user.user_id).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id = store::parse_id(&row.id)?;
        items.push(SessionView {
            id,
            device_name: row.device_name,
            ip: row.ip,
            user_agent: row.user_agent,
            created_at: time::from_db(&row.created_at)?,
            last_used_at: time::from_db(&row.last_used_at)?,
            current: id == user.session_id,
        });
    }
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
    client: Client,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    logout::revoke_session(&state, user.user_id, id.into_inner(), &client.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
