//! Transaction references: short enough to read over the phone, unique (the database enforces
//! it), and unguessable. `TX-` and 10 Crockford base32 characters (50 random bits).

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn new_reference() -> String {
    let bits = u64::from_le_bytes(crate::crypto::random::bytes::<8>());
    let code: String = (0..10).map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect();
    format!("TX-{code}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_readable_and_distinct() {
        let a = super::new_reference();
        assert_eq!(a.len(), 13);
        assert!(a.starts_with("TX-"));
        assert!(a[3..].bytes().all(|b| super::ALPHABET.contains(&b)), "no I, L, O or U: {a}");
        assert_ne!(a, super::new_reference());
    }
}
