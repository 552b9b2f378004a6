//! What staff ask of identity: creating an account (with its invite). Today that is an
//! identity function over the whole application state, so the caller passes an implementation
//! in (`crate::http::identity_flows`); once identity is a set of structs, `Staff` holds them
//! instead and this trait goes.

use std::future::Future;

use crate::audit::Actor;
use crate::error::ApiError;
use crate::identity::service::accounts::{Created, NewAccount};

pub trait AccountCreation {
    /// Creates the account without a password (the invite sets it), audited under `actor`.
    fn create_account(&self, account: NewAccount, actor: &Actor) -> impl Future<Output = Result<Created, ApiError>>;
}
