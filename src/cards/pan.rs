//! Card numbers (PANs): 16 digits — the configured BIN, nine random digits and a Luhn check
//! digit. A `Pan` is only ever built from digits that pass the check, and its `Debug` shows the
//! last four digits alone, so a PAN cannot reach a log by accident.

use zeroize::Zeroize;

use crate::crypto::random;

pub const LENGTH: usize = 16;

pub struct Pan(String);

impl Pan {
    /// A new random PAN under `bin` (6 digits, checked at startup).
    pub fn generate(bin: &str) -> Self {
        let mut digits: Vec<u8> = bin.bytes().map(|b| b - b'0').collect();
        while digits.len() < LENGTH - 1 {
            // Uniform digits: bytes ≥ 250 would favour 0..5, so they are drawn again.
            for byte in random::bytes::<16>() {
                if byte < 250 && digits.len() < LENGTH - 1 {
                    digits.push(byte % 10);
                }
            }
        }
        digits.push(check_digit(&digits));
        let pan = digits.iter().map(|d| char::from(b'0' + d)).collect();
        digits.zeroize();
        Self(pan)
    }

    /// Parses what a card network sends: exactly 16 digits with a valid Luhn check digit.
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = raw.len() == LENGTH && raw.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        let digits: Vec<u8> = raw.bytes().map(|b| b - b'0').collect();
        (check_digit(&digits[..LENGTH - 1]) == digits[LENGTH - 1]).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> String {
        self.0[LENGTH - 4..].to_owned()
    }
}

impl Drop for Pan {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Pan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pan(…{})", self.last4())
    }
}

/// The Luhn check digit of `payload` (the digits before it).
fn check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pans_carry_the_bin_and_pass_luhn() {
        for _ in 0..200 {
            let pan = Pan::generate("400000");
            assert!(pan.as_str().starts_with("400000"));
            assert_eq!(pan.as_str().len(), 16);
            assert!(Pan::parse(pan.as_str()).is_some(), "{pan:?}");
        }
    }

    #[test]
    fn known_numbers_check() {
        assert!(Pan::parse("4111111111111111").is_some());
        assert!(Pan::parse("4111111111111112").is_none());
        assert!(Pan::parse("411111111111111").is_none());
        assert!(Pan::parse("411111111111111a").is_none());
        assert_eq!(format!("{:?}", Pan::parse("4111111111111111").unwrap()), "Pan(…1111)");
    }
}
