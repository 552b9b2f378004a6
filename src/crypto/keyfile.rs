//! The key-ring file format, `{"active": "<id>", "keys": [{"id", "created_at", "secret"}]}`
//! (one file per ring in the keys folder), and the operator's changes to it: `tresor keys
//! generate` appends a key, `tresor keys rotate` makes the newest one active. Files are
//! replaced atomically (write under a unique temporary name, fsync, rename), created only if
//! absent (hard link, which never replaces), and stay readable by their owner only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::random;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RingFile {
    pub active: String,
    pub keys: Vec<KeyEntry>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub id: String,
    /// Kept in the file for operators.
    pub created_at: String,
    /// Base64 of 32 bytes. Plain `String` only inside this module, which never prints it.
    pub secret: String,
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

pub fn ring_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// A fresh key id: 8 random bytes as hex, short enough for a JWT `kid` and a ciphertext prefix.
pub fn new_key_id() -> String {
    hex::encode(random::bytes::<8>())
}

fn new_entry() -> KeyEntry {
    KeyEntry {
        id: new_key_id(),
        created_at: chrono::Utc::now().to_rfc3339(),
        secret: STANDARD.encode(random::bytes::<32>()),
    }
}

pub fn read(path: &Path) -> anyhow::Result<RingFile> {
    let text = fs::read_to_string(path).with_context(|| format!("reading key ring {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("key ring {} is not valid", path.display()))
}

/// A temporary file beside `path` that no other process or call picks: two processes writing
/// the same ring never write into, rename or delete each other's temporary file.
fn temp_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.{}.tmp", std::process::id(), hex::encode(random::bytes::<8>())));
    PathBuf::from(tmp)
}

/// Writes a ring, replacing any old file atomically.
pub fn write(path: &Path, ring: &RingFile) -> anyhow::Result<()> {
    let tmp = temp_path(path);
    write_private(&tmp, &serde_json::to_vec_pretty(ring)?)?;
    fs::rename(&tmp, path).map_err(|error| {
        let _ = fs::remove_file(&tmp);
        anyhow::Error::new(error).context(format!("replacing {}", path.display()))
    })
}

/// A new ring with one key, active, written only if no ring is there yet: the complete file is
/// written under a temporary name, then hard-linked to `path`, which fails if `path` exists —
/// so of several processes creating the same ring at once exactly one wins, and nobody ever
/// reads a half-written ring. Returns the new key's id, or `None` when another process's ring
/// was there first (read that one).
pub fn create(path: &Path) -> anyhow::Result<Option<String>> {
    let entry = new_entry();
    let id = entry.id.clone();
    let tmp = temp_path(path);
    write_private(&tmp, &serde_json::to_vec_pretty(&RingFile { active: id.clone(), keys: vec![entry] })?)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(Some(id)),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(error) => Err(anyhow::Error::new(error).context(format!("creating {}", path.display()))),
    }
}

/// Adds a key to a ring (creating the ring if missing, with the key active). Returns its id and
/// whether it is active.
pub fn generate(path: &Path) -> anyhow::Result<(String, bool)> {
    if !path.exists()
        && let Some(id) = create(path)?
    {
        return Ok((id, true));
    }
    let mut ring = read(path)?;
    let entry = new_entry();
    let id = entry.id.clone();
    ring.keys.push(entry);
    write(path, &ring)?;
    Ok((id, false))
}

/// Makes the newest key active. Returns the active id and whether it changed.
pub fn rotate(path: &Path) -> anyhow::Result<(String, bool)> {
    let mut ring = read(path)?;
    let Some(newest) = ring.keys.last().map(|k| k.id.clone()) else {
        bail!("key ring {} has no keys", path.display());
    };
    if ring.active == newest {
        return Ok((newest, false));
    }
    ring.active = newest.clone();
    write(path, &ring)?;
    Ok((newest, true))
}

/// Writes a file only its owner can read, creating the folder (also owner-only) if needed.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
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
