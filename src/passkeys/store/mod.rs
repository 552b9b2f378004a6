//! SQL of passkeys, one file per table: `passkey_users` (each user's WebAuthn user handle),
//! `passkeys` (registered credentials) and `passkey_ceremonies` (ceremonies in progress).

mod ceremonies;
mod credentials;
mod handles;

pub use ceremonies::{CeremonyRow, NewCeremony, consume, insert};
pub use credentials::{
    PasskeyRow, Use, find_by_credential, insert_passkey, list_for_user, record_use, remove, remove_all, suspend,
};
pub use handles::{handle_of, user_of_handle};
