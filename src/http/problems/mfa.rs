//! [`MfaError`] as problem+json: 409 for the enrolment state, 403 for a wrong code on a
//! signed-in session, 401 for the sign-in step.

use crate::error::{Error, Kind, Problem};
use crate::mfa::{MfaError, WrongCode};

fn problem(kind: Kind, slug: &str, detail: impl Into<String>) -> Error {
    Problem::new(kind, slug, detail).into()
}

impl From<MfaError> for Error {
    fn from(error: MfaError) -> Self {
        match error {
            MfaError::NoAuthenticator => {
                problem(Kind::Conflict, "mfa-not-enabled", "MFA is not set up for this account")
            }
            MfaError::NotEnabled => problem(Kind::Conflict, "mfa-not-enabled", "MFA is not enabled for this account"),
            MfaError::EnableBeforeSetup => {
                problem(Kind::Conflict, "mfa-not-set-up", "call POST /v1/mfa/totp/setup first")
            }
            MfaError::AlreadyEnabled => problem(Kind::Conflict, "mfa-already-enabled", "MFA is already on"),
            MfaError::SetupWhileEnabled => problem(
                Kind::Conflict,
                "mfa-already-enabled",
                "MFA is already on; disable it first to use a new authenticator",
            ),
            MfaError::WrongCode(which) => {
                let detail = match which {
                    WrongCode::FirstCode => "the code does not match; check the authenticator's clock",
                    WrongCode::Current => "the code does not match",
                    WrongCode::StepUp => "the code does not match or was used already",
                };
                problem(Kind::Forbidden, "invalid-mfa-code", detail)
            }
            MfaError::InvalidSignIn => problem(
                Kind::Unauthenticated,
                "invalid-token",
                "the mfa_token is invalid, expired or already used; sign in with your password again",
            ),
            MfaError::SignInLocked => problem(
                Kind::Unauthenticated,
                "mfa-locked",
                "too many wrong codes for this sign-in; sign in with your password again",
            ),
            MfaError::WrongSignInCode { left } => problem(
                Kind::Unauthenticated,
                "invalid-mfa-code",
                format!("the code does not match or was used already; {left} tries left"),
            ),
            MfaError::Other(error) => error,
        }
    }
}
