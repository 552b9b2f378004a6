//! How the domain's refusals read as problem+json: one file per capability, each a `From` into
//! [`Error`](crate::error::Error) so handlers keep using `?`.

mod mfa;
mod rate_limit;
mod staff;
