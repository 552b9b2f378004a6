//! `GET /.well-known/jwks.json`: the public keys that verify access tokens.

use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

/// Every key that verifies access tokens (the active one and those still in the ring).
#[utoipa::path(tag = "identity", responses((status = 200, description = "an RFC 7517 JWK Set of Ed25519 keys")))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.sessions.jwks())
}
