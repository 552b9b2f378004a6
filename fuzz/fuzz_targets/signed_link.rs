//! Signed download links: a token nobody signed never verifies, whatever its shape.
#![no_main]

use std::sync::OnceLock;

use chrono::Utc;
use libfuzzer_sys::fuzz_target;
use tresor::crypto::Keys;
use tresor::documents::links::verify;

fn keys() -> &'static Keys {
    static KEYS: OnceLock<(tempfile::TempDir, Keys)> = OnceLock::new();
    let (_, keys) = KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(dir.path(), true).unwrap();
        (dir, keys)
    });
    keys
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    assert!(verify(&keys().mac, token, Utc::now()).is_none(), "a forged link verified: {token:?}");
});
