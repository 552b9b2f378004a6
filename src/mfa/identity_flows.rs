//! What MFA asks of identity: re-checking a password (disabling MFA) and opening a session
//! (the sign-in step). Today both are identity functions over the whole application state, so
//! the caller passes an implementation in (`crate::http::identity_flows`); once identity is a
//! set of structs, `Mfa` holds them instead and this trait goes.

use std::future::Future;

use secrecy::SecretString;
use uuid::Uuid;

use crate::error::ApiError;
use crate::identity::service::{Device, TokenPair};
use crate::identity::store::users::UserRow;

pub trait IdentityFlows {
    /// `Ok` when `password` is the user's (identity's lockout counting applies).
    fn confirm_password(
        &self,
        user: &UserRow,
        password: SecretString,
        device: &Device,
    ) -> impl Future<Output = Result<(), ApiError>>;

    /// Opens a session for a user who passed sign-in (`mfa`: with a second factor).
    fn start_session(
        &self,
        user_id: Uuid,
        email: &str,
        device: &Device,
        mfa: bool,
    ) -> impl Future<Output = Result<TokenPair, ApiError>>;
}
