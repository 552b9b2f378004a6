//! Tokens: JWT access tokens, their verification cache, and opaque one-time secrets.

pub mod cache;
pub mod jwt;
pub mod opaque;

pub use cache::VerifiedTokens;
pub use jwt::{Claims, JwtKeys, TokenError};
