//! [`StaffError`] as problem+json: 404 for a missing user or grant, 409 `last-admin`.

use crate::error::{Error, Kind, Problem};
use crate::staff::StaffError;

impl From<StaffError> for Error {
    fn from(error: StaffError) -> Self {
        match error {
            StaffError::UserNotFound => Problem::not_found("the user").into(),
            StaffError::GrantNotFound => Problem::not_found("the grant").into(),
            StaffError::LastAdmin => {
                Problem::new(Kind::Conflict, "last-admin", "the last admin cannot lose the admin role").into()
            }
            StaffError::Other(error) => error,
        }
    }
}
