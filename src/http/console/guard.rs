//! Who is using the console: the cookie session (`browser_session`), resumed without spending
//! its refresh token, and the staff member's access. [`StaffSession`] admits staff with MFA on
//! a session that passed it; [`Enrolling`] admits staff who still have to enrol a second factor.
//! A page's permission goes through the API's rule: [`StaffSession::require`] asks
//! [`Authz::check`](crate::authz::Authz::check) and refuses as [`admit`] does.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use futures::future::LocalBoxFuture;
use uuid::Uuid;

use super::refusal::Refusal;
use crate::audit::Actor;
use crate::authz::{Access, Permission};
use crate::http::browser_session::BrowserSessions;
use crate::http::guards::permission::admit;
use crate::http::peer::Peer;
use crate::identity::Device;
use crate::identity::sessions::Resumed;
use crate::state::AppState;

/// A signed-in staff member with MFA, on a console page.
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub session: Resumed,
    pub access: Arc<Access>,
    pub peer: Peer,
    /// The CSRF token this session's forms carry (the `__Host-tresor_csrf` cookie).
    pub csrf: String,
}

/// A signed-in staff member who has no second factor yet: only enrolment and sign-out.
#[derive(Clone, Debug)]
pub struct Enrolling {
    pub session: Resumed,
    pub peer: Peer,
    pub csrf: String,
}

/// Anyone with a live cookie session (sign-out takes every session, staff or not).
#[derive(Clone, Debug)]
pub struct Visitor {
    pub session: Resumed,
    pub peer: Peer,
}

struct Visit {
    session: Resumed,
    access: Arc<Access>,
    peer: Peer,
    csrf: String,
}

async fn visit(
    state: Option<web::Data<AppState>>,
    token: Option<String>,
    peer: Peer,
    csrf: Option<String>,
) -> Result<Visit, Refusal> {
    let state = state.ok_or_else(|| anyhow::anyhow!("no application state"))?;
    let (Some(token), Some(csrf)) = (token, csrf) else { return Err(Refusal::SignIn) };
    let Some(session) = state.sessions.resume(&token, &peer.device(None)).await? else {
        return Err(Refusal::SignIn);
    };
    let access = state.authz.access(session.user_id).await?;
    if !access.active {
        return Err(Refusal::SignIn);
    }
    if access.permissions(Utc::now()).is_empty() {
        return Err(Refusal::NotStaff);
    }
    Ok(Visit { session, access, peer, csrf })
}

fn parts(req: &HttpRequest) -> (Option<web::Data<AppState>>, Option<String>, Option<String>) {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = BrowserSessions::refresh_token(req);
    // A signed-in browser has the CSRF cookie set beside the refresh cookie.
    let csrf = req.app_data::<web::Data<BrowserSessions>>().and_then(|b| {
        let token = b.form_token(req);
        token.cookie.is_none().then_some(token.value)
    });
    (state, token, csrf)
}

impl FromRequest for StaffSession {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (state, token, csrf) = parts(req);
        let peer = Peer::from_request(req, payload).into_inner();
        Box::pin(async move {
            let visit = visit(state, token, peer?, csrf).await?;
            if !visit.access.mfa_enabled {
                return Err(Refusal::Enrol);
            }
            if !visit.session.mfa {
                // MFA is on but this session never proved it: sign in again.
                return Err(Refusal::SignIn);
            }
            Ok(Self { session: visit.session, access: visit.access, peer: visit.peer, csrf: visit.csrf })
        })
    }
}

impl FromRequest for Enrolling {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (state, token, csrf) = parts(req);
        let peer = Peer::from_request(req, payload).into_inner();
        Box::pin(async move {
            let visit = visit(state, token, peer?, csrf).await?;
            Ok(Self { session: visit.session, peer: visit.peer, csrf: visit.csrf })
        })
    }
}

impl FromRequest for Visitor {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (state, token, _) = parts(req);
        let peer = Peer::from_request(req, payload).into_inner();
        Box::pin(async move {
            let peer = peer?;
            let state = state.ok_or_else(|| anyhow::anyhow!("no application state"))?;
            let Some(token) = token else { return Err(Refusal::SignIn) };
            match state.sessions.resume(&token, &peer.device(None)).await? {
                Some(session) => Ok(Self { session, peer }),
                None => Err(Refusal::SignIn),
            }
        })
    }
}

impl StaffSession {
    pub fn user_id(&self) -> Uuid {
        self.session.user_id
    }

    /// Whether the staff member holds `permission` now (what the page shows; the server checks
    /// again with [`Self::require`] before acting).
    pub fn may(&self, permission: Permission) -> bool {
        self.access.allows(permission, Utc::now())
    }

    /// The API's permission rule for this session: the actor to act as, or the refusal.
    pub async fn require(&self, state: &AppState, permission: Permission) -> Result<Actor, Refusal> {
        let verdict = state.authz.check(self.session.user_id, self.session.session_id, permission).await?;
        admit(verdict, permission)?;
        Ok(self.device().actor(Some(self.session.user_id)))
    }

    pub fn device(&self) -> Device {
        self.peer.device(None)
    }
}

/// The CSRF check of every console form: an allowed `Origin` and the session's token.
pub fn check_form(browser: &BrowserSessions, req: &HttpRequest, token: &str) -> Result<(), Refusal> {
    browser.check_form(req, Some(token)).map_err(|_| Refusal::Forged)
}

/// A form that carries only its CSRF token (a button).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>"}))]
pub struct TokenForm {
    pub csrf_token: String,
}
