//! Authorization: permissions, the roles that bundle them, direct grants, and the guards that
//! staff and sensitive endpoints declare.
//!
//! # Guarding a staff endpoint
//!
//! Name the permission in the handler's signature; the handler body runs only when it holds:
//!
//! ```ignore
//! use crate::authz::{Requires, perm};
//!
//! #[get("/v1/admin/kyc")]
//! async fn queue(state: web::Data<AppState>, staff: Requires<perm::KycReview>) -> Result<HttpResponse, ApiError> {
//!     // staff.user: the AuthUser; staff.actor: the audit actor (id, IP, user agent);
//!     // staff.access: the caller's roles and grants.
//!     audit::append(&mut tx, state.db.dialect(), &staff.actor, event).await?;
//!     ...
//! }
//! ```
//!
//! The guard answers, in this order: 401 without a valid access token (as [`AuthUser`]);
//! 403 `forbidden` when no role of the caller's and no live grant carries the permission;
//! 403 `mfa-required` when the caller holds it but has not enabled MFA, or this session did not
//! pass MFA. Roles, grants and locks are read through [`AccessCache`] (`state.authz`), so a
//! change takes effect on the next request; after changing one, commit, then call
//! `state.authz.changed(state.redis.as_ref(), user_id)`. A grant that expires stops counting at
//! its `expires_at` with no restart or invalidation.
//!
//! Inside a handler (when the permission depends on the input), call
//! [`require`]`(&state, user, &client, Permission::KycReview)` instead; it returns the same
//! [`Staff`]. Each permission has a marker in [`perm`]; add a variant to [`Permission`], its
//! name, its marker, and its place in the role [`bundle`]s — nowhere else.
//!
//! # Step-up for sensitive operations
//!
//! Take `crate::http::step_up::StepUp` instead of `AuthUser`: the handler runs only when the
//! caller's session passed MFA within `[mfa] step_up_minutes` (users without MFA pass). For a
//! rule that applies to everyone or depends on the input, a service asks [`StepUpRule`]
//! (`passed(session_id, Enrollment::Required)`), as the ledger does for large transfers. Either
//! answers 403 `mfa-step-up-required`; the client then confirms a code at `POST /v1/mfa/step-up`.
//!
//! [`AuthUser`]: crate::http::authn::AuthUser

pub mod access;
pub mod guard;
pub mod permission;
pub mod step_up;
pub mod store;

pub use access::{Access, AccessCache, AccessError};
pub use guard::{RequiredPermission, Requires, Staff, check, forbidden, mfa_required, perm, require};
pub use permission::{Permission, bundle, roles_allow};
pub use step_up::{Enrollment, StepUpRule};
