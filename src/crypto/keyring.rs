//! Key rings: named 256-bit keys, one active, older ones kept so what they signed or sealed can
//! still be read. Each ring is a JSON file in the keys folder:
//! `{"active": "<id>", "keys": [{"id": "<id>", "created_at": "...", "secret": "<base64>"}]}`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};

use super::random;

pub type Secret = SecretBox<[u8; 32]>;

/// One ring: every key by id, and which one new signatures or ciphertexts use.
pub struct KeyRing {
    name: &'static str,
    active: String,
    keys: BTreeMap<String, Secret>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&String> = self.keys.keys().collect();
        f.debug_struct("KeyRing").field("name", &self.name).field("active", &self.active).field("ids", &ids).finish()
    }
}

impl KeyRing {
    pub fn active(&self) -> (&str, &Secret) {
        // `load` guarantees the active id is present.
        let key = &self.keys[&self.active];
        (&self.active, key)
    }

    pub fn get(&self, id: &str) -> Option<&Secret> {
        self.keys.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RingFile {
    active: String,
    keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    id: String,
    #[allow(dead_code)] // kept in the file for operators
    created_at: String,
    secret: SecretString,
}

#[derive(Serialize)]
struct NewRingFile<'a> {
    active: &'a str,
    keys: Vec<NewKeyEntry<'a>>,
}

#[derive(Serialize)]
struct NewKeyEntry<'a> {
    id: &'a str,
    created_at: String,
    secret: String,
}

/// The rings this service uses.
#[derive(Debug)]
pub struct Keys {
    /// Ed25519 seeds for access-token signatures.
    pub signing: KeyRing,
    /// XChaCha20-Poly1305 keys for personal data, secrets and document data keys.
    pub encryption: KeyRing,
    /// HMAC-SHA-256 keys for blind indexes and signed links.
    pub mac: KeyRing,
}

const RINGS: [&str; 3] = ["signing", "encryption", "mac"];

impl Keys {
    /// Loads every ring from `dir`. With `generate`, a missing ring is created first (once) and
    /// a warning logged; without it (production), a missing ring is an error naming the file.
    pub fn load(dir: &Path, generate: bool) -> anyhow::Result<Self> {
        for name in RINGS {
            let path = ring_path(dir, name);
            if !path.exists() {
                if !generate {
                    bail!(
                        "key ring {} is missing; create it with `tresor keys generate` and mount it (keys are never generated in production)",
                        path.display()
                    );
                }
                write_new_ring(&path)?;
                tracing::warn!(path = %path.display(), "generated a new {name} key ring for development; back up the keys folder or data encrypted under it is lost");
            }
        }
        Ok(Self {
            signing: read_ring(dir, "signing")?,
            encryption: read_ring(dir, "encryption")?,
            mac: read_ring(dir, "mac")?,
        })
    }
}

fn ring_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

fn read_ring(dir: &Path, name: &'static str) -> anyhow::Result<KeyRing> {
    let path = ring_path(dir, name);
    let text = fs::read_to_string(&path).with_context(|| format!("reading key ring {}", path.display()))?;
    let file: RingFile =
        serde_json::from_str(&text).with_context(|| format!("key ring {} is not valid", path.display()))?;
    let mut keys = BTreeMap::new();
    for entry in file.keys {
        let raw = STANDARD
            .decode(entry.secret.expose_secret())
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
            .with_context(|| format!("key {:?} in {} is not 32 base64 bytes", entry.id, path.display()))?;
        keys.insert(entry.id, SecretBox::new(Box::new(raw)));
    }
    if !keys.contains_key(&file.active) {
        bail!("key ring {}: the active key {:?} is not in the ring", path.display(), file.active);
    }
    Ok(KeyRing { name, active: file.active, keys })
}

/// A fresh key id: 8 random bytes as hex, short enough for a JWT `kid` and a ciphertext prefix.
pub fn new_key_id() -> String {
    hex::encode(random::bytes::<8>())
}

fn write_new_ring(path: &Path) -> anyhow::Result<()> {
    let id = new_key_id();
    let secret = STANDARD.encode(random::bytes::<32>());
    let file = NewRingFile {
        active: &id,
        keys: vec![NewKeyEntry { id: &id, created_at: chrono::Utc::now().to_rfc3339(), secret }],
    };
    write_private(path, &serde_json::to_vec_pretty(&file)?)
}

/// Writes a file only its owner can read, creating the folder (also owner-only) if needed.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder.create(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_generates_once_and_production_refuses_missing_rings() {
        let dir = tempfile::tempdir().unwrap();
        let err = Keys::load(dir.path(), false).unwrap_err().to_string();
        assert!(err.contains("signing.json"), "{err}");

        let first = Keys::load(dir.path(), true).unwrap();
        let second = Keys::load(dir.path(), false).unwrap();
        assert_eq!(first.signing.active().0, second.signing.active().0, "keys are generated once");
        assert_eq!(first.encryption.active().1.expose_secret(), second.encryption.active().1.expose_secret());
        assert_ne!(first.encryption.active().1.expose_secret(), first.mac.active().1.expose_secret());
        assert!(!format!("{first:?}").contains(&STANDARD.encode(first.mac.active().1.expose_secret())));
    }
}
