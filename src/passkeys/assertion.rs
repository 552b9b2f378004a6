//! What every assertion (sign-in or step-up) goes through after the library checked it: user
//! verification, the sign counter, and recording the use with the new counter and backup flags.

use serde_json::json;
use sqlx::AnyConnection;
use webauthn_rs::prelude::{AuthenticationResult, Passkey, WebauthnError};

use super::problems::suspended;
use super::service::Passkeys;
use super::store::{self, PasskeyRow};
use crate::db::decode;
use crate::error::Error;
use crate::identity::Device;
use crate::security_events::{self, SecurityEvent};

/// Which ceremony the assertion finishes (they answer refusals differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    SignIn,
    StepUp,
}

impl Purpose {
    pub(super) fn refused(self) -> Error {
        match self {
            Self::SignIn => super::problems::sign_in_failed(),
            Self::StepUp => super::problems::step_up_failed(),
        }
    }
}

/// A counter that does not move past the stored one, when either is in use (W3C WebAuthn
/// §7.2 step 21): the sign of a cloned authenticator.
pub(super) fn regressed(presented: u32, stored: i64) -> bool {
    (presented > 0 || stored > 0) && i64::from(presented) <= stored
}

impl Passkeys {
    /// The library's verdict on an assertion for `row`, settled: a counter regression stops
    /// the passkey ([`Passkeys::suspend`]); any other refusal is recorded as a failed second
    /// factor. The stored counter is compared again, as the ceremony's copy may be older.
    pub(super) async fn settle(
        &self,
        row: &PasskeyRow,
        outcome: Result<AuthenticationResult, WebauthnError>,
        purpose: Purpose,
        device: &Device,
    ) -> Result<AuthenticationResult, Error> {
        let error = match outcome {
            Ok(result) if !result.user_verified() => WebauthnError::UserNotVerified,
            Ok(result) if regressed(result.counter(), row.sign_count) => WebauthnError::CredentialPossibleCompromise,
            Ok(result) => return Ok(result),
            Err(error) => error,
        };
        if matches!(error, WebauthnError::CredentialPossibleCompromise) {
            self.suspend(row, device).await?;
            return Err(suspended());
        }
        tracing::info!(error = %error, "passkey assertion refused");
        let event = SecurityEvent {
            kind: security_events::MFA_FAILED,
            user_id: Some(decode::uuid(&row.user_id)?),
            ip: device.ip.clone(),
            subject: None,
            detail: json!({"factor": "passkey", "passkey_id": row.id}),
        };
        security_events::record(&mut *self.db.writer().acquire().await?, event).await?;
        Err(purpose.refused())
    }

    /// Records a checked use on `conn`: the counter and backup flags move on. False when
    /// another use of the same passkey was recorded meanwhile, or it was stopped.
    pub(super) async fn record_use(
        &self,
        conn: &mut AnyConnection,
        row: &PasskeyRow,
        mut passkey: Passkey,
        result: &AuthenticationResult,
    ) -> Result<bool, Error> {
        passkey.update_credential(result);
        let stored = serde_json::to_string(&passkey).map_err(anyhow::Error::from)?;
        let used = store::Use {
            passkey: &stored,
            sign_count: i64::from(result.counter()),
            backup_eligible: result.backup_eligible(),
            backup_state: result.backup_state(),
        };
        Ok(store::record_use(conn, &row.id, row.sign_count, &used).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::regressed;

    #[test]
    fn a_counter_must_move_forward_once_either_side_counts() {
        assert!(!regressed(0, 0), "synced passkeys keep no counter");
        assert!(!regressed(5, 4));
        assert!(regressed(4, 4));
        assert!(regressed(1, 4));
        assert!(regressed(0, 4), "a counter that stopped counting");
    }
}
