//! argon2id hashing on a bounded pool of its own threads.
//!
//! A hash costs ~13 ms of one core and ~19 MiB at the default parameters, so it must never run
//! on the HTTP workers. The pool has one thread per core (configurable) and a bounded queue:
//! a login flood waits in the queue, and past it is refused with 503, instead of starving every
//! other request. The threads run at a lower scheduling priority (nice ≈ 10) so that, when the
//! machine is saturated, the cheap requests of signed-in users go first.

use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;
use unicode_normalization::UnicodeNormalization;

use crate::config::PasswordSettings;

type Job = Box<dyn FnOnce() + Send>;

/// Why a hash was not computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the password hashing queue is full")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// What a stored hash was made from: the NFKC-normalised password (every hash made now), or
/// the raw one (hashes from before normalisation; see the `password_nfkc` migration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashedAs {
    Nfkc,
    Raw,
}

/// The form of a password that is hashed and checked (NIST SP 800-63B: normalise Unicode
/// with NFKC), so "ﬁ" and "fi", or a full-width and an ASCII digit, are the same password.
fn normalised(password: &SecretString) -> SecretString {
    SecretString::from(password.expose_secret().nfkc().collect::<String>())
}

/// What verifying a password found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    Wrong,
    Correct,
    /// Correct, but hashed with other parameters than the configured ones, or from the raw
    /// (not normalised) password: store a new hash.
    CorrectNeedsRehash,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    queue: SyncSender<Job>,
    /// Verified against for unknown emails, so they cost what a known one costs.
    dummy: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").field("params", &self.params).finish()
    }
}

impl PasswordHasher {
    pub fn start(settings: &PasswordSettings) -> anyhow::Result<Self> {
        let params =
            Params::new(settings.argon2_memory_kib, settings.argon2_iterations, settings.argon2_parallelism, None)
                .map_err(|e| anyhow::anyhow!("passwords.argon2_*: {e}"))?;
        let threads = match settings.hash_threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let (queue, jobs) = mpsc::sync_channel::<Job>(settings.hash_queue.max(1));
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || run_worker(&jobs))?;
        }
        let dummy = dummy_with(&params).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self { params, queue, dummy: Arc::new(dummy) })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                metrics::counter!("password_hash_rejected_total").increment(1);
                return Err(HashError::Busy);
            }
            Err(TrySendError::Disconnected(_)) => return Err(HashError::Failed("the hashing pool stopped".into())),
        }
        result.await.map_err(|_| HashError::Failed("a hashing thread stopped".into()))
    }

    /// A new PHC string for `password`, NFKC-normalised.
    pub async fn hash(&self, password: SecretString) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run(move || hash_with(&params, &normalised(&password))).await?.map_err(HashError::Failed)
    }

    /// Checks `password` against `stored` (a PHC string made as `hashed_as` says), or against
    /// the dummy hash when there is none, which always answers `Wrong` after the same work. A
    /// legacy hash of the raw password that matches answers `CorrectNeedsRehash`.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
        hashed_as: HashedAs,
    ) -> Result<Verified, HashError> {
        let params = self.params.clone();
        let password = match hashed_as {
            HashedAs::Nfkc => normalised(&password),
            HashedAs::Raw => password,
        };
        let (phc, real) = match stored {
            Some(stored) => (stored, true),
            None => (self.dummy.as_ref().clone(), false),
        };
        self.run(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else { return Verified::Wrong };
            let ok = argon2_for(&params).verify_password(password.expose_secret().as_bytes(), &parsed).is_ok();
            match (ok && real, current(&parsed, &params) && hashed_as == HashedAs::Nfkc) {
                (false, _) => Verified::Wrong,
                (true, true) => Verified::Correct,
                (true, false) => Verified::CorrectNeedsRehash,
            }
        })
        .await
    }
}

fn run_worker(jobs: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let started = std::time::Instant::now();
        job();
        metrics::histogram!("password_hash_duration_seconds").record(started.elapsed().as_secs_f64());
    }
}

fn lower_priority() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    // 23 on the crate's 0..=99 scale is nice ≈ 9 on Linux; lowering needs no privilege.
    if let Ok(value) = ThreadPriorityValue::try_from(23_u8)
        && let Err(error) = set_current_thread_priority(ThreadPriority::Crossplatform(value))
    {
        tracing::debug!(?error, "could not lower the hashing threads' priority");
    }
}

fn argon2_for(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &SecretString) -> Result<String, String> {
    let Ok(salt) = SaltString::encode_b64(&crate::crypto::random::bytes::<16>()) else {
        return Err("could not encode a salt".into());
    };
    argon2_for(params)
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// A PHC string with the configured parameters, a random salt and a random output: verifying a
/// password against it costs what a real verification costs and never matches. It is built, not
/// hashed, so starting the server runs no argon2 (whose 19 MiB would stay resident while idle).
fn dummy_with(params: &Params) -> Result<String, String> {
    let salt = SaltString::encode_b64(&crate::crypto::random::bytes::<16>()).map_err(|e| e.to_string())?;
    let output = Output::new(&crate::crypto::random::bytes::<32>()).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13 as u32),
        params: ParamsString::try_from(params).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether a stored hash was made with the configured algorithm and parameters.
fn current(hash: &PasswordHash<'_>, params: &Params) -> bool {
    let Ok(stored) = Params::try_from(hash) else { return false };
    hash.algorithm.as_str() == "argon2id"
        && hash.version == Some(Version::V0x13 as u32)
        && stored.m_cost() == params.m_cost()
        && stored.t_cost() == params.t_cost()
        && stored.p_cost() == params.p_cost()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_has_the_configured_parameters_and_matches_no_password() {
        let params = Params::new(1024, 2, 1, None).unwrap();
        let dummy = dummy_with(&params).unwrap();
        let parsed = PasswordHash::new(&dummy).unwrap();
        assert!(current(&parsed, &params), "{dummy}");
        assert_eq!(parsed.hash.unwrap().len(), 32, "verifying computes a full-length output");
        assert!(argon2_for(&params).verify_password(b"", &parsed).is_err());
        assert!(argon2_for(&params).verify_password(b"correct horse", &parsed).is_err());
        assert_ne!(dummy, dummy_with(&params).unwrap(), "a fresh salt and output each start");
    }
}
