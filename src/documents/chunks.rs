//! The chunk stream itself (see [`super::cipher`] for the layout): a sealer that holds at most one
//! chunk, and an opener that authenticates each frame before releasing its bytes.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::Payload;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};

use super::cipher::{CHUNK, CipherError, DataKey, FRAME, HEADER, MAGIC, NONCE_PREFIX, TAG};
use crate::crypto::random;

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
}
