//! Random secrets from the thread-local CSPRNG (ChaCha12 seeded from the OS).

/// `N` random bytes, e.g. a 256-bit token or key.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0_u8; N];
    rand::fill(&mut out);
    out
}
