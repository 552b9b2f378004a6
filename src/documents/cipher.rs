//! Document encryption: each stored file is one STREAM (Hoang–Reyhanitabar–Rogaway–Vizár) of
//! XChaCha20-Poly1305 chunks under the document version's own random data key, from the
//! `aead::stream` construction of RustCrypto (nothing here is hand-rolled). The chunk counter and
//! last-chunk flag in each nonce make reordered, dropped, duplicated or truncated chunks fail to
//! decrypt; the associated data binds every chunk to its document, version and variant, so a
//! stored file copied under another version does not open either.
//!
//! Layout: `MAGIC ‖ 19-byte nonce prefix ‖ frame*`, each frame `CHUNK` plaintext bytes + 16-byte
//! tag, the last frame 1..=`CHUNK` bytes + tag.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::KeyInit;
use secrecy::{ExposeSecret, SecretBox};

use crate::crypto::{KeyRing, aead, random};

/// Plaintext bytes per chunk: bounds the memory of every upload, scan and download.
pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
/// A full ciphertext frame.
pub const FRAME: usize = CHUNK + TAG;
pub(super) const MAGIC: &[u8; 8] = b"tresor1\n";
pub(super) const NONCE_PREFIX: usize = 19;
/// Bytes before the first frame.
pub const HEADER: usize = MAGIC.len() + NONCE_PREFIX;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("stored document is not in the expected format")]
    Malformed,
    #[error("stored document does not authenticate (altered, reordered, truncated or misplaced)")]
    Forged,
    #[error("stored document's data key does not open: {0}")]
    Key(#[from] aead::OpenError),
}

/// A document version's own 256-bit key; stored only wrapped by the encryption ring.
pub struct DataKey(SecretBox<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Self {
        Self(SecretBox::new(Box::new(random::bytes::<32>())))
    }

    /// Seals the key under the ring's active key, bound to `place` (see [`key_place`]).
    pub fn wrap(&self, ring: &KeyRing, place: &str) -> String {
        aead::seal(ring, self.0.expose_secret(), place)
    }

    pub fn unwrap(ring: &KeyRing, sealed: &str, place: &str) -> Result<Self, CipherError> {
        let raw = aead::open(ring, sealed, place)?;
        let key = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| CipherError::Malformed)?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    pub(super) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.expose_secret().into())
    }
}

/// Which stored file of a version: the upload as received, or the scanner's cleaned copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Original,
    Clean,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Clean => "clean",
        }
    }
}

/// Associated data of a wrapped data key: its document, version and variant.
pub fn key_place(document_id: &str, version_id: &str, variant: Variant) -> String {
    aead::associated_data("document_versions", variant.as_str(), &format!("{document_id}/{version_id}"))
}

/// Associated data of every chunk of one stored file.
pub fn stream_place(document_id: &str, version_id: &str, variant: Variant) -> Vec<u8> {
    format!("tresor/documents/{document_id}/{version_id}/{}", variant.as_str()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_open_only_for_their_version() {
        let dir = tempfile::tempdir().unwrap();
        let keys = crate::crypto::Keys::load(dir.path(), true).unwrap();
        let key = DataKey::generate();
        let sealed = key.wrap(&keys.encryption, &key_place("d", "v1", Variant::Original));
        let back = DataKey::unwrap(&keys.encryption, &sealed, &key_place("d", "v1", Variant::Original)).unwrap();
        assert_eq!(back.0.expose_secret(), key.0.expose_secret());
        assert!(DataKey::unwrap(&keys.encryption, &sealed, &key_place("d", "v2", Variant::Original)).is_err());
        assert!(DataKey::unwrap(&keys.encryption, &sealed, &key_place("d", "v1", Variant::Clean)).is_err());
    }
}
