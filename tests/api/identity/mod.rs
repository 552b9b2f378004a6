//! Identity (docs/api.md, Identity and Users): registration, sign-in, tokens, sessions, lockout,
//! rate limits, password flows, profile — black-box through HTTP, on the test's database.

mod cli;
mod lockout;
mod login;
mod login_cost;
mod passwords;
mod plaintext;
mod profile;
mod rate_limits;
mod refresh;
mod register;
mod sessions;
mod tokens;
mod two_servers;
