//! Whether a user has a second factor at all: TOTP on, or a passkey that is not suspended. The
//! enrolment policy (`[mfa] required_for = "all"`), the staff MFA rule and the step-up rule all
//! ask this one question (`identity::store::users::second_factors`).

use sqlx::{Any, Executor};
use uuid::Uuid;

/// True when the user has a second factor enrolled: TOTP, or a usable passkey.
pub async fn has_second_factor<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    Ok(!crate::identity::store::users::second_factors(executor, user_id).await?.is_empty())
}
