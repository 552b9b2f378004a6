//! The signed-in caller: `Authorization: Bearer <access token>`, verified and checked against
//! revocation on every request by [`crate::identity::Sessions::authenticate`]. Handlers that
//! take an [`AuthUser`] are authenticated by their signature; the RBAC layer wraps this
//! extractor with its permission guard.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use uuid::Uuid;

use crate::error::{Error, Kind, Problem};
use crate::identity::Role;
use crate::identity::tokens::Claims;
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

impl From<Claims> for AuthUser {
    fn from(claims: Claims) -> Self {
        Self {
            user_id: claims.sub,
            session_id: claims.sid,
            roles: claims.roles.clone(),
            kyc_status: claims.kyc_status.clone(),
            mfa: claims.mfa,
            claims,
        }
    }
}

fn unauthenticated() -> Error {
    Problem::new(Kind::Unauthenticated, "unauthenticated", "this endpoint needs `Authorization: Bearer <access token>`")
        .into()
}

pub fn invalid_token(reason: &str) -> Error {
    crate::identity::problems::unauthorized_token(reason)
}

/// Verifies a bearer token and asks whether its session is live.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, Error> {
    state.sessions.authenticate(token).await.map(AuthUser::from)
}

/// What a user without a second factor may still reach under `[mfa] required_for = "all"`:
/// enrolment, their profile and signing out.
const ENROLMENT_EXEMPT: [&str; 5] =
    ["/v1/mfa/totp/setup", "/v1/mfa/totp/enable", "/v1/auth/logout", "/v1/auth/sessions", "/v1/users/me"];
/// Passkey registration (enrolment too) lives under this prefix.
const PASSKEY_ENROLMENT: &str = "/v1/mfa/passkeys/register/";

fn enrolment_exempt(path: &str) -> bool {
    ENROLMENT_EXEMPT.contains(&path)
        || path.starts_with(PASSKEY_ENROLMENT)
        || path.strip_prefix("/v1/auth/sessions/").is_some_and(|id| !id.contains('/'))
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        let enrolment_exempt = enrolment_exempt(req.path());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else { return Err(unauthenticated()) };
            if token.is_empty() || token.len() > 4096 {
                return Err(unauthenticated());
            }
            let user = authenticate(&state, &token).await?;
            if !enrolment_exempt {
                state.mfa.enforce_enrolment(user.user_id, user.mfa).await?;
            }
            Ok(user)
        })
    }
}
