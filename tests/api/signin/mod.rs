//! Sign-in as people expect it (docs/browser-sessions.md): cookie sessions over HTTP with every
//! attribute and refusal visible (`cookie_mode`) and in a real Chromium (`chromium`); the
//! hosted pages the links in emails open (`hosted_pages`); passwords in any Unicode form
//! (`nfkc`); the MFA enrolment policy (`mfa_policy`); passkeys in Chromium with a virtual
//! authenticator (`passkeys`).

mod chromium;
mod cookie_mode;
mod hosted_pages;
mod mfa_policy;
mod nfkc;
mod passkeys;
