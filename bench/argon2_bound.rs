//! The login ceiling on this machine: how long one argon2id verification takes on one core at
//! the configured parameters (the bound is cores ÷ that time), and how many verifications per
//! second the service's own hashing pool completes with all cores busy.
//!
//! `cargo run --release --example argon2_bound` (reads the same configuration as `tresor`).

use std::time::Instant;

use secrecy::SecretString;
use tresor::config::PasswordSettings;
use tresor::identity::password::{HashedAs, PasswordHasher};

const PASSWORD: &str = "correct horse battery staple 42";

fn settings(base: &PasswordSettings, threads: usize) -> PasswordSettings {
    PasswordSettings { hash_threads: threads, hash_queue: 4096, ..*base }
}

fn main() -> anyhow::Result<()> {
    let config = tresor::config::load().map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = &config.settings.passwords;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    actix_web::rt::System::new().block_on(async {
        let one = PasswordHasher::start(&settings(base, 1))?;
        let hash = one.hash(SecretString::from(PASSWORD)).await?;
        let rounds = 40;
        let started = Instant::now();
        for _ in 0..rounds {
            one.verify(SecretString::from(PASSWORD), Some(hash.clone()), HashedAs::Nfkc).await?;
        }
        let single = started.elapsed().as_secs_f64() / f64::from(rounds);

        let pool = PasswordHasher::start(&settings(base, cores))?;
        let total = 200;
        let started = Instant::now();
        let all = (0..total).map(|_| pool.verify(SecretString::from(PASSWORD), Some(hash.clone()), HashedAs::Nfkc));
        for outcome in futures::future::join_all(all).await {
            outcome?;
        }
        let pooled = f64::from(total) / started.elapsed().as_secs_f64();
        println!(
            "argon2id m={} KiB t={} p={}: one verify {:.2} ms on one core; bound {} cores / {:.2} ms = {:.0} logins/s; \
             the pool with {} threads verifies {:.0}/s",
            base.argon2_memory_kib,
            base.argon2_iterations,
            base.argon2_parallelism,
            single * 1000.0,
            cores,
            single * 1000.0,
            cores as f64 / single,
            cores,
            pooled
        );
        Ok(())
    })
}
