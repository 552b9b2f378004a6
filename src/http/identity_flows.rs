//! The identity flows other capabilities call, over the application state, until identity's
//! own structs replace them: then each capability holds those and this file goes.

use actix_web::web;
use secrecy::SecretString;
use uuid::Uuid;

use crate::audit::Actor;
use crate::error::ApiError;
use crate::identity::service::accounts::{self, Created, NewAccount};
use crate::identity::service::{Device, TokenPair, credentials, start_session};
use crate::identity::store::users::UserRow;
use crate::state::AppState;

/// Identity's functions as [`crate::mfa::IdentityFlows`] and [`crate::staff::AccountCreation`]
/// expect them.
pub struct StateIdentityFlows<'a>(pub &'a web::Data<AppState>);

impl crate::mfa::IdentityFlows for StateIdentityFlows<'_> {
    async fn confirm_password(&self, user: &UserRow, password: SecretString, device: &Device) -> Result<(), ApiError> {
        credentials::confirm_password(self.0, user, password, device).await
    }

    async fn start_session(
        &self,
        user_id: Uuid,
        email: &str,
        device: &Device,
        mfa: bool,
    ) -> Result<TokenPair, ApiError> {
        start_session(self.0, user_id, email, device, mfa).await
    }
}

impl crate::staff::AccountCreation for StateIdentityFlows<'_> {
    async fn create_account(&self, account: NewAccount, actor: &Actor) -> Result<Created, ApiError> {
        accounts::create(self.0, account, None, actor).await
    }
}
