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
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use secrecy::{ExposeSecret, SecretBox};

use crate::crypto::{KeyRing, aead, random};

/// Plaintext bytes per chunk: bounds the memory of every upload, scan and download.
pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
/// A full ciphertext frame.
pub const FRAME: usize = CHUNK + TAG;
const MAGIC: &[u8; 8] = b"tresor1\n";
const NONCE_PREFIX: usize = 19;
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

    fn cipher(&self) -> XChaCha20Poly1305 {
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

/// Encrypts a plaintext stream chunk by chunk, holding at most one chunk.
pub struct Sealer {
    encryptor: Option<EncryptorBE32<XChaCha20Poly1305>>,
    aad: Vec<u8>,
    pending: Vec<u8>,
}

impl Sealer {
    /// The sealer and the header to write before its frames.
    pub fn new(key: &DataKey, aad: Vec<u8>) -> (Self, Vec<u8>) {
        let prefix = random::bytes::<NONCE_PREFIX>();
        let encryptor = EncryptorBE32::from_aead(key.cipher(), (&prefix).into());
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&prefix);
        (Self { encryptor: Some(encryptor), aad, pending: Vec::with_capacity(CHUNK) }, header)
    }

    /// Takes more plaintext; appends the frames that are now complete to `out`. A full chunk is
    /// only sealed once more data follows, because the last chunk is sealed differently.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), CipherError> {
        while !data.is_empty() {
            if self.pending.len() == CHUNK {
                let encryptor = self.encryptor.as_mut().ok_or(CipherError::Malformed)?;
                let frame = encryptor
                    .encrypt_next(Payload { msg: &self.pending, aad: &self.aad })
                    .map_err(|_| CipherError::Forged)?;
                out.extend_from_slice(&frame);
                self.pending.clear();
            }
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    /// Seals what is left as the last chunk.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), CipherError> {
        let encryptor = self.encryptor.take().ok_or(CipherError::Malformed)?;
        let frame =
            encryptor.encrypt_last(Payload { msg: &self.pending, aad: &self.aad }).map_err(|_| CipherError::Forged)?;
        out.extend_from_slice(&frame);
        Ok(())
    }
}

/// Decrypts frames in order; the caller says which frame is the last.
pub struct Opener {
    decryptor: Option<DecryptorBE32<XChaCha20Poly1305>>,
    aad: Vec<u8>,
}

impl Opener {
    pub fn new(key: &DataKey, aad: Vec<u8>, header: &[u8]) -> Result<Self, CipherError> {
        if header.len() != HEADER || !header.starts_with(MAGIC) {
            return Err(CipherError::Malformed);
        }
        let prefix: [u8; NONCE_PREFIX] = header[MAGIC.len()..].try_into().map_err(|_| CipherError::Malformed)?;
        Ok(Self { decryptor: Some(DecryptorBE32::from_aead(key.cipher(), (&prefix).into())), aad })
    }

    pub fn open(&mut self, frame: &[u8], last: bool) -> Result<Vec<u8>, CipherError> {
        if frame.len() < TAG || frame.len() > FRAME || (!last && frame.len() != FRAME) {
            return Err(CipherError::Forged);
        }
        let payload = Payload { msg: frame, aad: &self.aad };
        if last {
            let decryptor = self.decryptor.take().ok_or(CipherError::Forged)?;
            decryptor.decrypt_last(payload).map_err(|_| CipherError::Forged)
        } else {
            let decryptor = self.decryptor.as_mut().ok_or(CipherError::Forged)?;
            decryptor.decrypt_next(payload).map_err(|_| CipherError::Forged)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal_all(key: &DataKey, aad: &[u8], plain: &[u8], piece: usize) -> (Vec<u8>, Vec<u8>) {
        let (mut sealer, header) = Sealer::new(key, aad.to_vec());
        let mut body = Vec::new();
        for part in plain.chunks(piece) {
            sealer.push(part, &mut body).unwrap();
        }
        sealer.finish(&mut body).unwrap();
        (header, body)
    }

    fn open_all(key: &DataKey, aad: &[u8], header: &[u8], body: &[u8]) -> Result<Vec<u8>, CipherError> {
        let mut opener = Opener::new(key, aad.to_vec(), header)?;
        let frames: Vec<&[u8]> = body.chunks(FRAME).collect();
        let mut plain = Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            plain.extend(opener.open(frame, i + 1 == frames.len())?);
        }
        Ok(plain)
    }

    #[test]
    fn streams_round_trip_at_every_chunk_boundary() {
        let key = DataKey::generate();
        for len in [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (header, body) = seal_all(&key, b"here", &plain, 1000);
            assert_eq!(open_all(&key, b"here", &header, &body).unwrap(), plain, "length {len}");
        }
    }

    #[test]
    fn swapped_truncated_altered_or_misplaced_chunks_do_not_open() {
        let key = DataKey::generate();
        let plain = vec![7_u8; 3 * CHUNK + 10];
        let (header, body) = seal_all(&key, b"doc/v1", &plain, CHUNK);
        let mut swapped = body.clone();
        swapped[..FRAME].copy_from_slice(&body[FRAME..2 * FRAME]);
        swapped[FRAME..2 * FRAME].copy_from_slice(&body[..FRAME]);
        assert!(open_all(&key, b"doc/v1", &header, &swapped).is_err());
        assert!(open_all(&key, b"doc/v1", &header, &body[..3 * FRAME]).is_err(), "dropped last chunk");
        let mut altered = body.clone();
        altered[FRAME + 5] ^= 1;
        assert!(open_all(&key, b"doc/v1", &header, &altered).is_err());
        assert!(open_all(&key, b"doc/v2", &header, &body).is_err(), "other version");
        assert!(open_all(&DataKey::generate(), b"doc/v1", &header, &body).is_err(), "other key");
    }

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
