//! The step-up guard: sensitive operations need a session that passed MFA within
//! `[mfa] step_up_minutes` (a sign-in with a code, or `POST /v1/mfa/step-up`); otherwise 403
//! `mfa-step-up-required`. The session's MFA time is read from the database on each check, so a
//! step-up counts at once, with no new token.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{Duration, Utc};

use super::store;
use crate::error::{ApiError, Problem};
use crate::http::authn::AuthUser;
use crate::state::AppState;

/// Who the step-up applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enrollment {
    /// Users with MFA on must have stepped up; users without MFA pass (password change).
    IfEnrolled,
    /// Everyone must have stepped up; without MFA that is impossible (large transfers).
    Required,
}

pub fn step_up_required(minutes: u64) -> ApiError {
    Problem::new(
        StatusCode::FORBIDDEN,
        "mfa-step-up-required",
        format!(
            "this needs a session that passed MFA in the last {minutes} minutes: confirm a code at \
             POST /v1/mfa/step-up (or sign in again with MFA) and retry"
        ),
    )
    .into()
}

/// `Ok` when the caller's session satisfies the step-up rule now.
pub async fn require_step_up(state: &AppState, user: &AuthUser, enrollment: Enrollment) -> Result<(), ApiError> {
    let minutes = state.config.settings.mfa.step_up_minutes;
    let session = store::session_mfa(state.db.reader(), user.session_id).await?;
    if enrollment == Enrollment::IfEnrolled && !session.enrolled {
        return Ok(());
    }
    let window = Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX / 60_000));
    let fresh = session.passed && session.at.is_some_and(|at| at + window >= Utc::now());
    if fresh { Ok(()) } else { Err(step_up_required(minutes)) }
}

/// Extractor: a signed-in caller who, if MFA is on for them, passed it within the window.
#[derive(Clone, Debug)]
pub struct StepUp(pub AuthUser);

impl Deref for StepUp {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl FromRequest for StepUp {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user.await?;
            let Some(state) = state else { return Err(ApiError::Internal(anyhow::anyhow!("no application state"))) };
            require_step_up(&state, &user, Enrollment::IfEnrolled).await?;
            Ok(Self(user))
        })
    }
}
