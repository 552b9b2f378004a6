//! TLS to the databases. sqlx (PostgreSQL `sslmode=require|verify-full`), redis (`rediss://`),
//! object storage and outgoing HTTPS all use rustls, and two crypto providers end up in the
//! build (ring and aws-lc-rs), so rustls cannot pick a process default by itself: one is
//! installed here, once, before the first connection.

/// Installs aws-lc-rs as the process's rustls provider; later calls (and a provider installed
/// first by someone else) leave it as it is.
pub fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}
