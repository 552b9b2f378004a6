//! Authorization (docs/api.md, Roles and Staff): role bundles, grants with expiry, the guards, and
//! the matrix of every staff endpoint × every role × with and without MFA.

mod check;
mod matrix;
mod staff;
