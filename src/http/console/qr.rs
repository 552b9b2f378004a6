//! The enrolment QR code as SVG path data: the CSP allows no `data:` image, and a script-free
//! page draws it from the same `otpauth://` URI the secret comes with.

use qrcodegen::{QrCode, QrCodeEcc};
use serde::Serialize;

/// Around the code, in modules (the quiet zone readers need).
const MARGIN: i32 = 4;

#[derive(Debug, Serialize)]
pub struct Qr {
    /// The side of the square, in modules, margin included.
    pub size: i32,
    /// One `M x y h1 v1 h-1 z` per dark module.
    pub path: String,
}

/// The QR code of `text`, or `None` when it does not fit in one.
pub fn svg_path(text: &str) -> Option<Qr> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let mut path = String::new();
    for y in 0..code.size() {
        for x in 0..code.size() {
            if code.get_module(x, y) {
                path.push_str(&format!("M{} {}h1v1h-1z", x + MARGIN, y + MARGIN));
            }
        }
    }
    Some(Qr { size: code.size() + 2 * MARGIN, path })
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_otpauth_uri_becomes_a_square_of_dark_modules() {
        let qr =
            super::svg_path("otpauth://totp/tresor:ada%40bank.example?secret=JBSWY3DPEHPK3PXP&issuer=tresor").unwrap();
        assert!(qr.size > 21 + 8);
        assert!(qr.path.starts_with('M') && qr.path.ends_with('z'));
        assert!(qr.path.chars().all(|c| c.is_ascii_digit() || "Mhvz -".contains(c)));
    }
}
