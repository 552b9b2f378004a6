//! Authorization (docs/api.md, Roles and Staff): role bundles, grants with expiry, the guards, and
//! the matrix of every staff endpoint × every role × with and without MFA.

mod backoffice_matrix;
mod check;
mod matrix;
mod staff;
