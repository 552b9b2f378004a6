//! Authorization: permissions, the roles that bundle them, direct grants, and the rule that
//! staff and sensitive endpoints apply.
//!
//! # Guarding a staff endpoint
//!
//! Name the permission in the handler's signature (`crate::http::guards`); the handler body
//! runs only when [`Authz::check`] says [`Verdict::Allowed`]:
//!
//! ```ignore
//! use crate::http::guards::{Requires, perm};
//!
//! #[get("/v1/admin/kyc")]
//! async fn queue(state: web::Data<AppState>, staff: Requires<perm::KycReview>) -> Result<HttpResponse, Error> {
//!     // staff.user: the AuthUser; staff.actor: the audit actor (id, IP, user agent);
//!     // staff.access: the caller's roles and grants.
//!     ...
//! }
//! ```
//!
//! The guard answers, in this order: 401 without a valid access token; 403 `forbidden` when no
//! role of the caller's and no live grant carries the permission; 403 `mfa-required` when the
//! caller holds it but has not enabled MFA, or this session did not pass MFA. Roles, grants and
//! locks are read through [`AccessCache`] (inside [`Authz`]), so a change takes effect on the
//! next request; after changing one, commit, then call [`Authz::changed`] (or
//! [`Authz::publish_change`]). A grant that expires stops counting at its `expires_at` with no
//! restart or invalidation.
//!
//! Each permission has a marker in `crate::http::guards::perm`; add a variant to
//! [`Permission`], its name, its marker, and its place in the role [`bundle`]s — nowhere else.
//!
//! # Step-up for sensitive operations
//!
//! Take `crate::http::guards::StepUp` instead of `AuthUser`: the handler runs only when the
//! caller's session passed MFA within `[mfa] step_up_minutes` (users without MFA pass). For a
//! rule that applies to everyone or depends on the input, a service asks [`StepUpRule`]
//! (`passed(session_id, Enrollment::Required)`), as the ledger does for large transfers. Either
//! answers 403 `mfa-step-up-required`; the client then confirms a code at `POST /v1/mfa/step-up`.
//!
//! [`AuthUser`]: crate::http::authn::AuthUser

pub mod access;
pub mod permission;
mod service;
pub mod step_up;
pub mod store;

pub use access::{Access, AccessCache, AccessError};
pub use permission::{Permission, bundle, roles_allow};
pub use service::{Authz, Verdict};
pub use step_up::{Enrollment, StepUpRule};
