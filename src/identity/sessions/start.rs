//! Opening a session: the session row, its first refresh token, the access token, the audit
//! entry and — from a device not seen before — the new-sign-in email, in one transaction.
//! The MFA flow calls [`Sessions::start_session`] with `mfa: true` once a code checks out;
//! [`Sessions::start_session_with`] also takes `remember_me`.

use chrono::{DateTime, Duration, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Sessions;
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::Error;
use crate::identity::Device;
use crate::identity::emails::when;
use crate::identity::store::{self, sessions::NewSession};
use crate::identity::tokens::{Claims, opaque};

/// What a successful sign-in or refresh answers (docs/api.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: u64,
    pub session_id: Uuid,
    /// The session was opened with `remember_me` (not part of the answer: a cookie session
    /// makes its refresh cookie persistent from it).
    #[serde(skip)]
    pub remembered: bool,
    /// When the session ends at the latest (not part of the answer).
    #[serde(skip)]
    pub session_expires_at: DateTime<Utc>,
}

/// How a session opens: with a second factor, and whether the user asked to be remembered.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionStart {
    /// The sign-in passed MFA (a TOTP or backup code, a passkey).
    pub mfa: bool,
    /// `remember_me`: the session lives `identity.session_remember_days` instead of
    /// `session_absolute_hours`, with no shorter idle end.
    pub remember: bool,
}

impl Sessions {
    /// Signs an access token for a session, with the user's current roles and KYC status.
    pub(super) async fn access_token(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: Uuid,
        session_id: Uuid,
        mfa: bool,
    ) -> Result<(String, u64), Error> {
        let roles = store::users::roles(&mut *conn, user_id).await?;
        let kyc_status = store::users::kyc_status(conn, user_id).await?;
        let ttl = self.settings.access_token_ttl().as_secs();
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            roles,
            kyc_status,
            mfa,
            iat: now,
            exp: now + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::new_v4(),
        };
        Ok((self.jwt().sign(&claims)?, ttl))
    }

    /// Opens a session for a user whose credentials checked out (`mfa`: with a second factor).
    pub async fn start_session(
        &self,
        user_id: Uuid,
        email: &str,
        device: &Device,
        mfa: bool,
    ) -> Result<TokenPair, Error> {
        self.start_session_with(user_id, email, device, SessionStart { mfa, remember: false }).await
    }

    /// Opens a session for a user whose credentials checked out, as `start` says.
    pub async fn start_session_with(
        &self,
        user_id: Uuid,
        email: &str,
        device: &Device,
        start: SessionStart,
    ) -> Result<TokenPair, Error> {
        self.start_session_via(user_id, email, device, start, None).await
    }

    /// [`Self::start_session_with`] for a sign-in that did not use the password: `via` is
    /// `oidc:<provider>` or `passkey`, shown in the session list and the audit entry.
    #[tracing::instrument(skip_all, fields(user = %user_id, mfa = start.mfa, remember = start.remember, via))]
    pub async fn start_session_via(
        &self,
        user_id: Uuid,
        email: &str,
        device: &Device,
        start: SessionStart,
        via: Option<&str>,
    ) -> Result<TokenPair, Error> {
        let SessionStart { mfa, remember } = start;
        let settings = &self.settings;
        let now = time::now();
        let session_id = Uuid::now_v7();
        let expires_at = if remember {
            now + Duration::days(i64::try_from(settings.session_remember_days).unwrap_or(30))
        } else {
            now + Duration::hours(i64::try_from(settings.session_absolute_hours).unwrap_or(12))
        };
        let idle_expires_at = self.idle_end(now, expires_at, remember);
        let device_key = device.key();
        let (refresh_token, refresh_hash) = opaque::new_token();

        let mut tx = self.db.begin().await?;
        let (has_sessions, known_device) = store::sessions::device_known(&mut tx, user_id, &device_key).await?;
        let session = NewSession {
            id: session_id,
            user_id,
            device_name: device.name.as_deref(),
            device_key: &device_key,
            ip: device.ip.as_deref(),
            user_agent: device.user_agent.as_deref(),
            mfa,
            via,
            remember,
            idle_expires_at,
            expires_at,
        };
        store::sessions::insert(&mut tx, &session).await?;
        store::refresh_tokens::insert(&mut tx, session_id, &refresh_hash).await?;
        let event = Event {
            action: "auth.login",
            target_type: "session",
            target_id: Some(session_id.to_string()),
            old: None,
            new: Some(json!({
                "user_id": user_id,
                "mfa": mfa,
                "remember": remember,
                "via": via.unwrap_or("password"),
                "device_name": device.name,
                "new_device": !known_device,
            })),
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        let mut mail = Deferred::default();
        if has_sessions && !known_device {
            let data = json!({
                "device_name": device.name,
                "ip": device.ip,
                "user_agent": device.user_agent,
                "at": when(now),
            });
            mail = self.emails.send(&mut tx, email, Template::NewSignIn, data).await?;
        }
        let (access_token, expires_in) = self.access_token(&mut tx, user_id, session_id, mfa).await?;
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        metrics::counter!("logins_total", "mfa" => if mfa { "true" } else { "false" }).increment(1);
        Ok(TokenPair {
            access_token,
            refresh_token: refresh_token.expose_secret().to_owned(),
            token_type: "Bearer",
            expires_in,
            session_id,
            remembered: remember,
            session_expires_at: expires_at,
        })
    }

    /// When a session used at `now` ends if not used again: after the idle time, never after
    /// its absolute end; a remembered session has only its absolute end.
    pub(super) fn idle_end(&self, now: DateTime<Utc>, expires_at: DateTime<Utc>, remember: bool) -> DateTime<Utc> {
        if remember {
            return expires_at;
        }
        let idle = Duration::minutes(i64::try_from(self.settings.session_idle_minutes).unwrap_or(30));
        (now + idle).min(expires_at)
    }
}
