//! The `StepUp` extractor: a signed-in caller who, if MFA is on for them, passed it within
//! `[mfa] step_up_minutes` (`crate::authz::StepUpRule`); otherwise 403 `mfa-step-up-required`.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::authz::Enrollment;
use crate::error::Error;
use crate::http::authn::AuthUser;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct StepUp(pub AuthUser);

impl Deref for StepUp {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl FromRequest for StepUp {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user.await?;
            let Some(state) = state else { return Err(Error::Internal(anyhow::anyhow!("no application state"))) };
            state.step_up.require(user.session_id, Enrollment::IfEnrolled).await?;
            Ok(Self(user))
        })
    }
}
