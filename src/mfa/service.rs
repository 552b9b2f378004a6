//! The MFA flows: set up and enable TOTP, disable it, new backup codes, step up a session, and
//! the second step of sign-in. Each does its work in one transaction with its audit entry and
//! email; codes are checked with the replay rule (a TOTP step is accepted once) and backup
//! codes are used up atomically.

use actix_web::http::StatusCode;
use chrono::Utc;
use secrecy::{SecretBox, SecretString};
use serde_json::json;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::{backup, store, totp};
use crate::audit::{self, Event};
use crate::authz;
use crate::crypto::aead;
use crate::error::{ApiError, Problem};
use crate::http::authn::AuthUser;
use crate::identity::service::{Device, TokenPair, credentials, emails, profile, start_session};
use crate::identity::store::users::UserRow;
use crate::identity::tokens::opaque;
use crate::security_events::{self, SecurityEvent};
use crate::state::AppState;

/// A second factor as presented.
pub enum Proof {
    /// Six digits from the authenticator.
    Totp(String),
    /// One of the backup codes.
    Backup(String),
}

/// Which factor checked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Used {
    Totp,
    Backup { left: i64 },
}

impl Used {
    fn name(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Backup { .. } => "backup_code",
        }
    }
}

/// What `POST /v1/mfa/totp/setup` answers.
pub struct Setup {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_png_base64: String,
}

fn conflict(slug: &str, detail: &str) -> ApiError {
    Problem::new(StatusCode::CONFLICT, slug, detail).into()
}

pub fn wrong_code(status: StatusCode, detail: impl Into<String>) -> ApiError {
    Problem::new(status, "invalid-mfa-code", detail).into()
}

fn place(user_id: Uuid) -> String {
    aead::associated_data("mfa_totp", "secret", &user_id.to_string())
}

fn open_secret(state: &AppState, user_id: Uuid, sealed: &str) -> Result<totp::TotpSecret, ApiError> {
    let bytes = aead::open(&state.keys.encryption, sealed, &place(user_id))
        .map_err(|e| anyhow::anyhow!("mfa_totp.secret of {user_id}: {e}"))?;
    Ok(SecretBox::new(Box::new(bytes)))
}

fn now_unix() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Checks `proof` for `user`, using it up (TOTP step recorded, backup code spent) on `tx`.
/// `None` when it is wrong or was used before. With `backup_allowed` false, backup codes are
/// refused (enabling MFA proves the authenticator, not a code list).
async fn verify(
    tx: &mut sqlx::AnyConnection,
    state: &AppState,
    user: &UserRow,
    proof: &Proof,
    need_active: bool,
) -> Result<Option<Used>, ApiError> {
    let user_id = user.uuid()?;
    let Some(row) = store::find_totp(&mut *tx, user_id).await? else {
        return Err(conflict("mfa-not-enabled", "MFA is not set up for this account"));
    };
    if need_active && row.status != store::ACTIVE {
        return Err(conflict("mfa-not-enabled", "MFA is not enabled for this account"));
    }
    match proof {
        Proof::Totp(code) => {
            let secret = open_secret(state, user_id, &row.secret)?;
            let Some(step) = totp::matching_step(&secret, code, now_unix(), row.last_step)? else { return Ok(None) };
            // Conditional: of two requests with the same code, one wins.
            Ok(store::accept_step(tx, user_id, step).await?.then_some(Used::Totp))
        }
        Proof::Backup(code) => {
            let candidates = backup::candidates(&state.keys.mac, &user.id, code);
            let Some(left) = store::use_backup_code(&mut *tx, user_id, &candidates).await? else { return Ok(None) };
            if let Some(email) = &user.email {
                let data = json!({"full_name": user.full_name, "remaining": left});
                emails::send(tx, state, email, Template::BackupCodeUsed, data).await?;
            }
            Ok(Some(Used::Backup { left }))
        }
    }
}

fn event(action: &'static str, user_id: Uuid, new: serde_json::Value) -> Event {
    Event { action, target_type: "user", target_id: Some(user_id.to_string()), old: None, new: Some(new) }
}

/// A fresh backup set: the codes to show once, their hashes stored on `tx`.
async fn new_backup_set(
    tx: &mut sqlx::AnyConnection,
    state: &AppState,
    user: &UserRow,
) -> Result<Vec<String>, ApiError> {
    let codes = backup::generate();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| backup::normalize(c))
        .map(|c| backup::hash(&state.keys.mac, &user.id, &c))
        .collect();
    store::replace_backup_codes(tx, user.uuid()?, &hashes).await?;
    Ok(codes)
}

async fn access_changed(state: &AppState, user_id: Uuid) {
    if let Err(error) = state.authz.changed(user_id).await {
        tracing::warn!(error = %error, "could not publish a permission change; other servers catch up within a minute");
    }
}

#[tracing::instrument(skip_all, fields(user = %user.user_id))]
pub async fn setup(state: &AppState, user: &AuthUser, device: &Device) -> Result<Setup, ApiError> {
    let row = profile::live_user(state, user.user_id).await?;
    let account = row.email.clone().unwrap_or_else(|| row.id.clone());
    let mut tx = state.db.begin().await?;
    if store::find_totp(&mut *tx, user.user_id).await?.is_some_and(|t| t.status == store::ACTIVE) {
        return Err(conflict("mfa-already-enabled", "MFA is already on; disable it first to use a new authenticator"));
    }
    let secret = totp::new_secret();
    let provisioning = totp::provisioning(&secret, &state.config.settings.mfa.issuer, &account)?;
    let sealed =
        aead::seal(&state.keys.encryption, secrecy::ExposeSecret::expose_secret(&secret), &place(user.user_id));
    store::put_pending(&mut tx, user.user_id, &sealed).await?;
    let audit_event = event("mfa.totp_setup", user.user_id, json!({"secret": "[sealed]", "status": store::PENDING}));
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user.user_id)), audit_event).await?;
    tx.commit().await?;
    Ok(Setup {
        secret: provisioning.secret_base32,
        otpauth_uri: provisioning.otpauth_uri,
        qr_png_base64: provisioning.qr_png_base64,
    })
}

#[tracing::instrument(skip_all, fields(user = %user.user_id))]
pub async fn enable(state: &AppState, user: &AuthUser, code: String, device: &Device) -> Result<Vec<String>, ApiError> {
    let row = profile::live_user(state, user.user_id).await?;
    let mut tx = state.db.begin().await?;
    match store::find_totp(&mut *tx, user.user_id).await? {
        None => return Err(conflict("mfa-not-set-up", "call POST /v1/mfa/totp/setup first")),
        Some(t) if t.status == store::ACTIVE => return Err(conflict("mfa-already-enabled", "MFA is already on")),
        Some(_) => {}
    }
    if verify(&mut tx, state, &row, &Proof::Totp(code), false).await?.is_none() {
        return Err(wrong_code(StatusCode::FORBIDDEN, "the code does not match; check the authenticator's clock"));
    }
    store::activate(&mut tx, user.user_id).await?;
    let codes = new_backup_set(&mut tx, state, &row).await?;
    // Proving a code is passing MFA: this session counts as stepped up.
    authz::store::mark_session_mfa(&mut tx, user.session_id).await?;
    let audit_event = event("mfa.enabled", user.user_id, json!({"mfa_enabled": true, "backup_codes": codes.len()}));
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user.user_id)), audit_event).await?;
    if let Some(email) = &row.email {
        emails::send(&mut tx, state, email, Template::MfaEnabled, json!({"full_name": row.full_name})).await?;
    }
    tx.commit().await?;
    access_changed(state, user.user_id).await;
    Ok(codes)
}

/// Disabling needs the password and a current code (the step-up guard runs before).
#[tracing::instrument(skip_all, fields(user = %user.user_id))]
pub async fn disable(
    state: &actix_web::web::Data<AppState>,
    user: &AuthUser,
    password: SecretString,
    code: String,
    device: &Device,
) -> Result<(), ApiError> {
    let row = profile::live_user(state, user.user_id).await?;
    if row.mfa_enabled == 0 {
        return Err(conflict("mfa-not-enabled", "MFA is not enabled for this account"));
    }
    credentials::confirm_password(state, &row, password, device).await?;
    let mut tx = state.db.begin().await?;
    if verify(&mut tx, state, &row, &Proof::Totp(code), true).await?.is_none() {
        return Err(wrong_code(StatusCode::FORBIDDEN, "the code does not match"));
    }
    store::remove(&mut tx, user.user_id).await?;
    let audit_event = event("mfa.disabled", user.user_id, json!({"mfa_enabled": false}));
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user.user_id)), audit_event).await?;
    if let Some(email) = &row.email {
        let data = json!({"full_name": row.full_name, "at": emails::when(Utc::now()), "ip": device.ip});
        emails::send(&mut tx, state, email, Template::MfaDisabled, data).await?;
    }
    tx.commit().await?;
    access_changed(state, user.user_id).await;
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %user.user_id))]
pub async fn regenerate(
    state: &AppState,
    user: &AuthUser,
    code: String,
    device: &Device,
) -> Result<Vec<String>, ApiError> {
    let row = profile::live_user(state, user.user_id).await?;
    let mut tx = state.db.begin().await?;
    if verify(&mut tx, state, &row, &Proof::Totp(code), true).await?.is_none() {
        return Err(wrong_code(StatusCode::FORBIDDEN, "the code does not match"));
    }
    let codes = new_backup_set(&mut tx, state, &row).await?;
    let audit_event = event("mfa.backup_codes_regenerated", user.user_id, json!({"backup_codes": codes.len()}));
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user.user_id)), audit_event).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Confirms a second factor on the current session: it counts as having passed MFA now.
#[tracing::instrument(skip_all, fields(user = %user.user_id))]
pub async fn step_up(state: &AppState, user: &AuthUser, proof: Proof, device: &Device) -> Result<(), ApiError> {
    let row = profile::live_user(state, user.user_id).await?;
    let mut tx = state.db.begin().await?;
    let Some(used) = verify(&mut tx, state, &row, &proof, true).await? else {
        return Err(wrong_code(StatusCode::FORBIDDEN, "the code does not match or was used already"));
    };
    authz::store::mark_session_mfa(&mut tx, user.session_id).await?;
    let audit_event = Event {
        action: "auth.mfa_step_up",
        target_type: "session",
        target_id: Some(user.session_id.to_string()),
        old: None,
        new: Some(json!({"factor": used.name()})),
    };
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user.user_id)), audit_event).await?;
    tx.commit().await?;
    Ok(())
}

fn invalid_mfa_token() -> ApiError {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "invalid-token",
        "the mfa_token is invalid, expired or already used; sign in with your password again",
    )
    .into()
}

fn mfa_locked() -> ApiError {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "mfa-locked",
        "too many wrong codes for this sign-in; sign in with your password again",
    )
    .into()
}

/// `POST /v1/auth/mfa`: the second step of sign-in. Every attempt counts against the
/// `mfa_token` before its code is checked; after `[mfa] max_failed_codes` the token is dead.
#[tracing::instrument(skip_all)]
pub async fn login(state: &AppState, token: &str, proof: Proof, request: &Device) -> Result<TokenPair, ApiError> {
    if !opaque::well_formed(token) {
        return Err(invalid_mfa_token());
    }
    let max = state.config.settings.mfa.max_failed_codes;
    let mut conn = state.db.writer().acquire().await?;
    let reserved = store::reserve_attempt(&mut conn, &opaque::hash(token), max).await?;
    drop(conn);
    let challenge = match reserved {
        store::Reserved::Attempt(challenge) => challenge,
        store::Reserved::Exhausted => return Err(mfa_locked()),
        store::Reserved::Invalid => return Err(invalid_mfa_token()),
    };
    let user = crate::identity::store::users::find(state.db.reader(), challenge.user_id).await?;
    let Some(user) = user.filter(|u| !u.is_deleted() && u.staff_locked_at.is_none() && u.mfa_enabled != 0) else {
        return Err(invalid_mfa_token());
    };
    let mut tx = state.db.begin().await?;
    let Some(used) = verify(&mut tx, state, &user, &proof, true).await? else {
        drop(tx);
        let left = i64::from(max) - challenge.attempt;
        let kind = if left <= 0 { security_events::MFA_LOCKED } else { security_events::MFA_FAILED };
        let event = SecurityEvent {
            kind,
            user_id: Some(challenge.user_id),
            ip: request.ip.clone(),
            subject: None,
            detail: json!({"attempt": challenge.attempt, "factor": matches!(proof, Proof::Backup(_)).then_some("backup_code").unwrap_or("totp")}),
        };
        let mut conn = state.db.writer().acquire().await?;
        security_events::record(&mut conn, event).await?;
        return Err(if left <= 0 {
            mfa_locked()
        } else {
            wrong_code(
                StatusCode::UNAUTHORIZED,
                format!("the code does not match or was used already; {left} tries left"),
            )
        });
    };
    if !store::close_challenge(&mut tx, challenge.id).await? {
        return Err(invalid_mfa_token());
    }
    tx.commit().await?;
    let device = Device { name: challenge.device_name, ip: challenge.ip, user_agent: challenge.user_agent };
    let email = user.email.clone().unwrap_or_default();
    let pair = start_session(state, challenge.user_id, &email, &device, true).await?;
    tracing::info!(factor = used.name(), "sign-in passed MFA");
    Ok(pair)
}
