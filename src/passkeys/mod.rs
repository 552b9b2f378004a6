//! Passkeys (WebAuthn, with `webauthn-rs`) as the [`Passkeys`] capability: registration as a
//! second factor (the second step of a password or OpenID sign-in, `own`), passwordless sign-in
//! with discoverable credentials (a session that passed MFA), step-up of a signed-in session,
//! list and removal. User verification is always required. Every
//! ceremony's state lives on the server (`passkey_ceremonies`, sealed, single use, five minutes);
//! the client holds only a random token. A sign counter that does not move forward stops the
//! passkey (`clone`). HTTP handlers live in `crate::http::passkeys`; the page that runs the
//! browser side in `crate::http::pages::passkeys`.

mod assertion;
mod clone;
mod own;
mod problems;
mod registration;
mod relying_party;
mod service;
mod sign_in;
pub mod store;

pub use registration::PasskeyInfo;
pub use service::{Ceremony, Passkeys};
pub use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};
