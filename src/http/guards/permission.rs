//! The permission guard: [`Requires<P>`] in a handler's signature, or [`require`] in its body.
//! The rule is [`Authz::check`](crate::authz::Authz::check); this file maps its verdict to 403s.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::audit::Actor;
use crate::authz::{Access, AccessError, Permission, Verdict};
use crate::error::{Error, Kind, Problem, unavailable};
use crate::http::authn::AuthUser;
use crate::http::peer::Peer;
use crate::state::AppState;

/// A caller allowed into a staff endpoint: who they are, what they may do, and the audit actor
/// their changes are recorded under.
#[derive(Clone, Debug)]
pub struct StaffCaller {
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

    markers!(
        UsersCreate,
        UsersRead,
        UsersLock,
        RolesManage,
        KycReview,
        AuditRead,
        AuditExport,
        JobsRead,
        JobsRetry,
        AccountsRead,
        AccountsManage,
        TransactionsReverse,
        CasesManage,
        PiiRead,
        ApprovalsDecide,
        MfaReset,
        WebhooksManage,
    );
}

/// Extractor: the handler runs only for a signed-in caller who holds `P` (by a role or a live
/// grant), has MFA enabled, and whose session passed MFA. Derefs to [`StaffCaller`].
#[derive(Clone, Debug)]
pub struct Requires<P: RequiredPermission> {
    pub staff: StaffCaller,
    permission: PhantomData<P>,
}

impl<P: RequiredPermission> Requires<P> {
    pub fn into_inner(self) -> StaffCaller {
        self.staff
    }
}

impl<P: RequiredPermission> Deref for Requires<P> {
    type Target = StaffCaller;

    fn deref(&self) -> &StaffCaller {
        &self.staff
    }
}

impl<P: RequiredPermission + 'static> FromRequest for Requires<P> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        let peer = Peer::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user.await?;
            let peer = peer.await?;
            let Some(state) = state else { return Err(Error::Internal(anyhow::anyhow!("no application state"))) };
            let staff = require(&state, user, &peer, P::PERMISSION).await?;
            Ok(Self { staff, permission: PhantomData })
        })
    }
}

pub fn forbidden(permission: Permission) -> Error {
    Problem::new(
        Kind::Forbidden,
        "forbidden",
        format!("this needs the permission `{permission}`, which you do not hold"),
    )
    .into()
}

pub fn mfa_required(detail: &str) -> Error {
    Problem::new(Kind::Forbidden, "mfa-required", detail).into()
}

impl From<AccessError> for Error {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Database(e) => e.into(),
            AccessError::Redis(e) => {
                tracing::warn!(error = %e, "redis unavailable for the permission cache");
                unavailable("the permission store is unavailable; retry shortly").into()
            }
        }
    }
}

/// Lets the caller in on [`Verdict::Allowed`]; otherwise the refusal: 403 `forbidden` without
/// the permission, 403 `mfa-required` with it but without MFA enabled or without a session that
/// passed MFA.
pub fn admit(verdict: Verdict, permission: Permission) -> Result<Arc<Access>, Error> {
    match verdict {
        Verdict::Allowed(access) => Ok(access),
        Verdict::NotGranted => Err(forbidden(permission)),
        Verdict::MfaNotEnabled => Err(mfa_required(
            "staff endpoints need MFA: enable TOTP (POST /v1/mfa/totp/setup, then /enable) or add a passkey \
                 (POST /v1/mfa/passkeys/register/start, then /finish)",
        )),
        Verdict::SessionWithoutMfa => Err(mfa_required(
            "this session did not pass MFA: sign in again with your authenticator code or a passkey, or step up \
                 (POST /v1/mfa/step-up, /v1/mfa/step-up/passkey/start)",
        )),
    }
}

/// What an endpoint guarded by `permission` would answer the caller now: the [`StaffCaller`]
/// to go ahead, or the refusal of [`admit`].
pub async fn require(
    state: &AppState,
    user: AuthUser,
    peer: &Peer,
    permission: Permission,
) -> Result<StaffCaller, Error> {
    let verdict = state.authz.check(user.user_id, user.session_id, permission).await?;
    let access = admit(verdict, permission)?;
    let actor = Actor {
        user_id: Some(user.user_id),
        ip: peer.ip.map(|ip| ip.to_string()),
        user_agent: peer.user_agent.clone(),
    };
    Ok(StaffCaller { user, access, actor })
}
