//! Key rings: named 256-bit keys, one active, older ones kept so what they signed or sealed can
//! still be read. Each ring is a JSON file in the keys folder (format in [`super::keyfile`]).
//!
//! A running process can take in keys added or activated since it started ([`Keys::reload`]):
//! keys are only ever added, never removed, so a key handed out stays valid for the life of the
//! process. Loaded keys are therefore kept for the process's lifetime (they are never dropped
//! while any reference to them may exist), which lets the ring hand out plain references.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::RwLock;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretBox;

use super::keyfile::{self, ring_path};

pub use super::keyfile::new_key_id;

pub type Secret = SecretBox<[u8; 32]>;

struct RingState {
    active: &'static str,
    keys: BTreeMap<&'static str, &'static Secret>,
}

/// One ring: every key by id, and which one new signatures or ciphertexts use.
pub struct KeyRing {
    name: &'static str,
    state: RwLock<RingState>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.read();
        let ids: Vec<&str> = state.keys.keys().copied().collect();
        f.debug_struct("KeyRing").field("name", &self.name).field("active", &state.active).field("ids", &ids).finish()
    }
}

impl KeyRing {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, RingState> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn active(&self) -> (&str, &Secret) {
        let state = self.read();
        // `merge` only ever sets an active id that is in the ring.
        (state.active, state.keys[state.active])
    }

    pub fn get(&self, id: &str) -> Option<&Secret> {
        self.read().keys.get(id).copied()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let ids: Vec<&'static str> = self.read().keys.keys().copied().collect();
        ids.into_iter()
    }

    /// Takes in the keys of `file` that are new and its active id. Returns whether anything
    /// changed.
    fn merge(&self, path: &Path, file: &keyfile::RingFile) -> anyhow::Result<bool> {
        let mut fresh = Vec::new();
        {
            let state = self.read();
            for entry in &file.keys {
                if !state.keys.contains_key(entry.id.as_str()) {
                    let raw = STANDARD
                        .decode(&entry.secret)
                        .ok()
                        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
                        .with_context(|| format!("key {:?} in {} is not 32 base64 bytes", entry.id, path.display()))?;
                    fresh.push((entry.id.clone(), raw));
                }
            }
            let known = state.keys.contains_key(file.active.as_str()) || fresh.iter().any(|(id, _)| *id == file.active);
            if !known {
                bail!("key ring {}: the active key {:?} is not in the ring", path.display(), file.active);
            }
            if fresh.is_empty() && state.active == file.active {
                return Ok(false);
            }
        }
        let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (id, raw) in fresh {
            let id: &'static str = Box::leak(id.into_boxed_str());
            let key: &'static Secret = Box::leak(Box::new(SecretBox::new(Box::new(raw))));
            state.keys.insert(id, key);
        }
        if let Some((id, _)) = state.keys.get_key_value(file.active.as_str()) {
            state.active = id;
        }
        Ok(true)
    }

    fn load(dir: &Path, name: &'static str) -> anyhow::Result<Self> {
        let path = ring_path(dir, name);
        let file = keyfile::read(&path)?;
        let ring = Self { name, state: RwLock::new(RingState { active: "", keys: BTreeMap::new() }) };
        ring.merge(&path, &file)?;
        Ok(ring)
    }
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

pub const RINGS: [&str; 3] = ["signing", "encryption", "mac"];

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
                // Another process starting at the same moment may create it first: then its
                // ring is the one everybody reads.
                if keyfile::create(&path)?.is_none() {
                    continue;
                }
                tracing::warn!(path = %path.display(), "generated a new {name} key ring for development; back up the keys folder or data encrypted under it is lost");
            }
        }
        Ok(Self {
            signing: KeyRing::load(dir, "signing")?,
            encryption: KeyRing::load(dir, "encryption")?,
            mac: KeyRing::load(dir, "mac")?,
        })
    }

    /// Re-reads the rings: keys added since are taken in, and a changed active key takes
    /// effect. Returns the names of the rings that changed.
    pub fn reload(&self, dir: &Path) -> anyhow::Result<Vec<&'static str>> {
        let mut changed = Vec::new();
        for (name, ring) in [("signing", &self.signing), ("encryption", &self.encryption), ("mac", &self.mac)] {
            let path = ring_path(dir, name);
            if ring.merge(&path, &keyfile::read(&path)?)? {
                changed.push(name);
            }
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn loaders_racing_on_a_fresh_folder_all_read_the_winners_keys() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let loaders: Vec<_> = (0..4)
                .map(|_| {
                    let path = dir.path().to_owned();
                    std::thread::spawn(move || Keys::load(&path, true).map(|k| k.encryption.active().0.to_string()))
                })
                .collect();
            let ids: Vec<String> = loaders.into_iter().map(|l| l.join().unwrap().unwrap()).collect();
            assert!(ids.windows(2).all(|w| w[0] == w[1]), "one key for everyone: {ids:?}");
            let mut names: Vec<String> = fs_names(dir.path());
            names.sort();
            assert_eq!(names, ["encryption.json", "mac.json", "signing.json"], "no temporary file is left");
        }
    }

    fn fs_names(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    }

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

    #[test]
    fn generated_keys_join_a_running_ring_and_rotation_switches_the_active_one() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(dir.path(), true).unwrap();
        let old = keys.encryption.active().0.to_owned();
        let path = ring_path(dir.path(), "encryption");
        let (new, active) = keyfile::generate(&path).unwrap();
        assert!(!active, "a generated key waits for rotation");
        assert_eq!(keys.reload(dir.path()).unwrap(), vec!["encryption"]);
        assert!(keys.encryption.get(&new).is_some());
        assert_eq!(keys.encryption.active().0, old, "still the old active key");
        assert_eq!(keyfile::rotate(&path).unwrap(), (new.clone(), true));
        keys.reload(dir.path()).unwrap();
        assert_eq!(keys.encryption.active().0, new);
        assert!(keys.encryption.get(&old).is_some(), "old keys keep opening");
        assert_eq!(keyfile::rotate(&path).unwrap(), (new, false), "rotating again changes nothing");
        assert!(keys.reload(dir.path()).unwrap().is_empty());
    }
}
