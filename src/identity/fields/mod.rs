//! Input parsed into domain values at the edge: a value of these types is valid by construction.
//! Each `parse` answers the words a client needs to fix its input.

mod address;
mod contact;
mod email;
mod personal;

pub use address::{Address, PostalAddress};
pub use contact::{FullName, Phone};
pub use email::Email;
pub use personal::{DateOfBirth, Ssn};

use crate::error::FieldErrors;

/// Collects per-field problems while parsing a request body.
#[derive(Default)]
pub struct Fields(pub FieldErrors);

impl Fields {
    /// Keeps the parsed value, or records why `field` is invalid.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.entry(field.to_owned()).or_default().push(message);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    /// `Ok` when nothing was wrong, else the 400 naming every bad field.
    pub fn finish(self) -> Result<(), crate::error::Problem> {
        if self.0.is_empty() { Ok(()) } else { Err(crate::error::Problem::invalid_fields(self.0)) }
    }
}
