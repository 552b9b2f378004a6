//! Known-malware byte signatures, looked for in the raw file and in every decoded part of it
//! (text chunks, comments, PDF streams). clamd, when configured, knows many more.

use memchr::memmem;

/// The EICAR anti-virus test file (its 68 significant bytes). Written in two halves so this
/// source file is not itself flagged by scanners that read the repository.
pub const EICAR: &str = concat!("X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");

const SIGNATURES: &[(&str, &str)] = &[("EICAR-Test-File", EICAR)];

/// The name of the first known signature found in `bytes`.
pub fn find(bytes: &[u8]) -> Option<&'static str> {
    SIGNATURES.iter().find(|(_, pattern)| memmem::find(bytes, pattern.as_bytes()).is_some()).map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn eicar_is_found_anywhere_in_the_bytes() {
        let mut bytes = b"some prefix ".to_vec();
        bytes.extend_from_slice(super::EICAR.as_bytes());
        bytes.extend_from_slice(b" suffix");
        assert_eq!(super::find(&bytes), Some("EICAR-Test-File"));
        assert_eq!(super::EICAR.len(), 68);
        assert_eq!(super::find(b"harmless"), None);
    }
}
