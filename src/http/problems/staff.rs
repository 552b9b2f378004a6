//! [`StaffError`] as problem+json: 404 for a missing user or grant, 409 `last-admin`, 409 `self-lock`.

use crate::error::{Error, Kind, Problem};
use crate::staff::StaffError;

impl From<StaffError> for Error {
    fn from(error: StaffError) -> Self {
        match error {
            StaffError::UserNotFound => Problem::not_found("the user").into(),
            StaffError::GrantNotFound => Problem::not_found("the grant").into(),
            StaffError::LastAdmin => {
                let detail = "the last unlocked admin cannot be locked or lose the admin role";
                Problem::new(Kind::Conflict, "last-admin", detail).into()
            }
            StaffError::SelfLock => {
                Problem::new(Kind::Conflict, "self-lock", "you cannot lock your own account").into()
            }
            StaffError::Other(error) => error,
        }
    }
}
