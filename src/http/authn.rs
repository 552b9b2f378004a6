//! The signed-in caller: `Authorization: Bearer <access token>`, verified (signature from cache
//! when seen before) and checked against revocation on every request. Handlers that take an
//! [`AuthUser`] are authenticated by their signature; the RBAC layer wraps this extractor with
//! its permission guard.

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use uuid::Uuid;

use crate::error::{ApiError, Problem};
use crate::identity::Role;
use crate::identity::service::revocation_failed;
use crate::identity::tokens::{Claims, TokenError, VerifiedTokens};
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub roles: Vec<Role>,
    pub kyc_status: String,
    /// This session passed MFA.
    pub mfa: bool,
    pub claims: Claims,
}

fn unauthenticated() -> ApiError {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "this endpoint needs `Authorization: Bearer <access token>`",
    )
    .into()
}

pub fn invalid_token(reason: &str) -> ApiError {
    Problem::new(StatusCode::UNAUTHORIZED, "invalid-token", format!("the access token {reason}; sign in again")).into()
}

/// Verifies a bearer token and asks whether its session is live.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let identity = &state.identity;
    let key = VerifiedTokens::key(token);
    let claims = match identity.verified.get(&key, now) {
        Some(claims) => claims,
        None => {
            let mut verified = identity.jwt().verify(token);
            if matches!(verified, Err(TokenError::UnknownKey)) && identity.may_reload_for_unknown_kid(now) {
                if let Err(error) = state.reload_keys() {
                    tracing::warn!(error = format!("{error:#}"), "could not reload the key rings");
                }
                verified = identity.jwt().verify(token);
            }
            let claims = verified.map_err(|error| match error {
                TokenError::Invalid => invalid_token("is malformed, forged, expired or not for this service"),
                TokenError::UnknownKey => invalid_token("was signed by a key this service does not know"),
            })?;
            identity.verified.insert(key, claims.clone(), now);
            claims
        }
    };
    let live =
        identity.revocations.is_live(&state.db, state.redis.as_ref(), claims.sid).await.map_err(revocation_failed)?;
    if !live {
        return Err(invalid_token("belongs to a session that has ended"));
    }
    Ok(AuthUser {
        user_id: claims.sub,
        session_id: claims.sid,
        roles: claims.roles.clone(),
        kyc_status: claims.kyc_status.clone(),
        mfa: claims.mfa,
        claims,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else { return Err(unauthenticated()) };
            if token.is_empty() || token.len() > 4096 {
                return Err(unauthenticated());
            }
            authenticate(&state, &token).await
        })
    }
}
