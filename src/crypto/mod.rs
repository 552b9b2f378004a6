//! Keys and the primitives built on them. Nothing here is hand-rolled: the algorithms come from
//! audited crates (RustCrypto, dalek); this module only decides how keys are kept and named.

pub mod aead;
pub mod keyfile;
pub mod keyring;
pub mod random;
pub mod signed;

pub use keyring::{KeyRing, Keys};
