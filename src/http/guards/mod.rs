//! Extractors that let a handler run only for an allowed caller. The rules they apply live in
//! the domain (`crate::authz`); these read the request and turn a refusal into a response.

pub mod permission;
pub mod step_up;

pub use permission::{RequiredPermission, Requires, StaffCaller, perm, require};
pub use step_up::StepUp;
