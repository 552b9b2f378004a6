//! The emails tresor sends, as data: which template, to whom, with what values. Queued by the
//! application in the same transaction as the event that causes them; delivered by the
//! `send_email` job.

mod mailer;
mod render;

use serde::{Deserialize, Serialize};

pub use mailer::{MailError, Mailer, MailerSettings, Outgoing, deliverable};
pub use render::{RenderError, Rendered, contract, render};

/// Every message the service can send. The name is stable: it is stored with queued mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    VerifyEmail,
    RegistrationAttempt,
    Invite,
    PasswordReset,
    PasswordChanged,
    AccountLocked,
    NewSignIn,
    MfaEnabled,
    MfaDisabled,
    BackupCodeUsed,
    RefreshTokenReuse,
    KycApproved,
    KycRejected,
    TransferReceived,
    ExportReady,
    AccountStatusChanged,
    MfaReset,
    CardIssued,
    PasskeyAdded,
    PasskeyRemoved,
    PasskeySuspended,
    LargeAuthorization,
    ScheduledTransferRefused,
    StatementReady,
}

impl Template {
    pub const ALL: [Self; 24] = [
        Self::VerifyEmail,
        Self::RegistrationAttempt,
        Self::Invite,
        Self::PasswordReset,
        Self::PasswordChanged,
        Self::AccountLocked,
        Self::NewSignIn,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::BackupCodeUsed,
        Self::RefreshTokenReuse,
        Self::KycApproved,
        Self::KycRejected,
        Self::TransferReceived,
        Self::ExportReady,
        Self::AccountStatusChanged,
        Self::MfaReset,
        Self::CardIssued,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::PasskeySuspended,
        Self::LargeAuthorization,
        Self::ScheduledTransferRefused,
        Self::StatementReady,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::RegistrationAttempt => "registration_attempt",
            Self::Invite => "invite",
            Self::PasswordReset => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::AccountLocked => "account_locked",
            Self::NewSignIn => "new_sign_in",
            Self::MfaEnabled => "mfa_enabled",
            Self::MfaDisabled => "mfa_disabled",
            Self::BackupCodeUsed => "backup_code_used",
            Self::RefreshTokenReuse => "refresh_token_reuse",
            Self::KycApproved => "kyc_approved",
            Self::KycRejected => "kyc_rejected",
            Self::TransferReceived => "transfer_received",
            Self::ExportReady => "export_ready",
            Self::AccountStatusChanged => "account_status_changed",
            Self::MfaReset => "mfa_reset",
            Self::CardIssued => "card_issued",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::PasskeySuspended => "passkey_suspended",
            Self::LargeAuthorization => "large_authorization",
            Self::ScheduledTransferRefused => "scheduled_transfer_refused",
            Self::StatementReady => "statement_ready",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A message to send: the recipient, the template, and the values it fills in (links, names,
/// amounts). The values may hold one-time links, so the application stores them sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub template: Template,
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_round_trip_and_match_serde() {
        for template in Template::ALL {
            assert_eq!(Template::from_name(template.name()), Some(template));
            let json = serde_json::to_value(template).unwrap_or_default();
            assert_eq!(json, serde_json::Value::String(template.name().to_owned()));
        }
        assert_eq!(Template::from_name("nope"), None);
    }
}
