//! [`MfaError`] as problem+json: 409 for the enrolment state, 403 for a wrong code on a
//! signed-in session, 401 for the sign-in step.

use actix_web::http::StatusCode;

use crate::error::{ApiError, Problem};
use crate::mfa::{MfaError, WrongCode};

fn problem(status: StatusCode, slug: &str, detail: impl Into<String>) -> ApiError {
    Problem::new(status, slug, detail).into()
}

impl From<MfaError> for ApiError {
    fn from(error: MfaError) -> Self {
        use StatusCode as S;
        match error {
            MfaError::NoAuthenticator => problem(S::CONFLICT, "mfa-not-enabled", "MFA is not set up for this account"),
            MfaError::NotEnabled => problem(S::CONFLICT, "mfa-not-enabled", "MFA is not enabled for this account"),
            MfaError::EnableBeforeSetup => problem(S::CONFLICT, "mfa-not-set-up", "call POST /v1/mfa/totp/setup first"),
            MfaError::AlreadyEnabled => problem(S::CONFLICT, "mfa-already-enabled", "MFA is already on"),
            MfaError::SetupWhileEnabled => problem(
                S::CONFLICT,
                "mfa-already-enabled",
                "MFA is already on; disable it first to use a new authenticator",
            ),
            MfaError::WrongCode(which) => {
                let detail = match which {
                    WrongCode::FirstCode => "the code does not match; check the authenticator's clock",
                    WrongCode::Current => "the code does not match",
                    WrongCode::StepUp => "the code does not match or was used already",
                };
                problem(S::FORBIDDEN, "invalid-mfa-code", detail)
            }
            MfaError::InvalidSignIn => problem(
                S::UNAUTHORIZED,
                "invalid-token",
                "the mfa_token is invalid, expired or already used; sign in with your password again",
            ),
            MfaError::SignInLocked => problem(
                S::UNAUTHORIZED,
                "mfa-locked",
                "too many wrong codes for this sign-in; sign in with your password again",
            ),
            MfaError::WrongSignInCode { left } => problem(
                S::UNAUTHORIZED,
                "invalid-mfa-code",
                format!("the code does not match or was used already; {left} tries left"),
            ),
            MfaError::Other(error) => error,
        }
    }
}
