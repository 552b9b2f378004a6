//! Passwords: argon2id hashing on a bounded pool, and the policy new passwords must meet.

mod hasher;
mod policy;

pub use hasher::{HashError, HashedAs, PasswordHasher, Verified};
pub use policy::{PasswordPolicy, common_list_len};
