//! The permission guard: [`Requires<P>`] in a handler's signature, or [`require`] in its body.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};

use super::access::{Access, AccessError};
use super::permission::Permission;
use super::store;
use crate::audit::Actor;
use crate::error::{ApiError, Problem, unavailable};
use crate::http::authn::AuthUser;
use crate::http::client::Client;
use crate::state::AppState;

/// A caller allowed into a staff endpoint: who they are, what they may do, and the audit actor
/// their changes are recorded under.
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: AuthUser,
    pub access: Arc<Access>,
    /// The acting staff member, with the request's IP and user agent.
    pub actor: Actor,
}

/// A permission a handler can name in its signature: `Requires<perm::KycReview>`.
pub trait RequiredPermission {
    const PERMISSION: Permission;
}

/// Marker types, one per [`Permission`], for [`Requires`].
pub mod perm {
    use super::{Permission, RequiredPermission};

    macro_rules! markers {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Requires [`Permission::", stringify!($name), "`].")]
            #[derive(Clone, Copy, Debug)]
            pub struct $name;
            impl RequiredPermission for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    markers!(UsersCreate, UsersRead, UsersLock, RolesManage, KycReview, AuditRead, AuditExport, JobsRead);
}

/// Extractor: the handler runs only for a signed-in caller who holds `P` (by a role or a live
/// grant), has MFA enabled, and whose session passed MFA. Derefs to [`Staff`].
#[derive(Clone, Debug)]
pub struct Requires<P: RequiredPermission> {
    pub staff: Staff,
    permission: PhantomData<P>,
}

impl<P: RequiredPermission> Requires<P> {
    pub fn into_inner(self) -> Staff {
        self.staff
    }
}

impl<P: RequiredPermission> Deref for Requires<P> {
    type Target = Staff;

    fn deref(&self) -> &Staff {
        &self.staff
    }
}

impl<P: RequiredPermission + 'static> FromRequest for Requires<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        let client = Client::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user.await?;
            let client = client.await?;
            let Some(state) = state else { return Err(ApiError::Internal(anyhow::anyhow!("no application state"))) };
            let staff = require(&state, user, &client, P::PERMISSION).await?;
            Ok(Self { staff, permission: PhantomData })
        })
    }
}

pub fn forbidden(permission: Permission) -> ApiError {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("this needs the permission `{permission}`, which you do not hold"),
    )
    .into()
}

pub fn mfa_required(detail: &str) -> ApiError {
    Problem::new(StatusCode::FORBIDDEN, "mfa-required", detail).into()
}

pub fn access_failed(error: AccessError) -> ApiError {
    match error {
        AccessError::Database(e) => e.into(),
        AccessError::Redis(e) => {
            tracing::warn!(error = %e, "redis unavailable for the permission cache");
            unavailable("the permission store is unavailable; retry shortly").into()
        }
    }
}

/// What an endpoint guarded by `permission` would answer the caller now: `Ok` to go ahead,
/// 403 `forbidden` without the permission, 403 `mfa-required` with it but without MFA enabled
/// or without a session that passed MFA.
pub async fn require(
    state: &AppState,
    user: AuthUser,
    client: &Client,
    permission: Permission,
) -> Result<Staff, ApiError> {
    let access = state.authz.get(&state.db, state.redis.as_ref(), user.user_id).await.map_err(access_failed)?;
    check(state, &user, &access, permission).await?;
    let actor = Actor {
        user_id: Some(user.user_id),
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.user_agent.clone(),
    };
    Ok(Staff { user, access, actor })
}

/// The rule itself, for callers that already hold the caller's [`Access`].
pub async fn check(state: &AppState, user: &AuthUser, access: &Access, permission: Permission) -> Result<(), ApiError> {
    if !access.allows(permission, chrono::Utc::now()) {
        return Err(forbidden(permission));
    }
    if !access.mfa_enabled {
        return Err(mfa_required("staff endpoints need MFA: enable TOTP (POST /v1/mfa/totp/setup, then /enable)"));
    }
    let session = store::session_mfa(state.db.reader(), user.session_id).await?;
    if !session.passed {
        return Err(mfa_required("this session did not pass MFA: sign in again with your authenticator code"));
    }
    Ok(())
}
