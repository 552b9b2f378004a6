//! The file type, decided from the content's first bytes (never from a name or a header the
//! client chose).

use super::model::FileKind;

/// Bytes needed to decide; shorter uploads are refused as unrecognised.
pub const SNIFF_LEN: usize = 8;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG: &[u8] = b"\xff\xd8\xff";
const PDF: &[u8] = b"%PDF-";

/// The accepted type the bytes start with, or a short description of what was seen instead.
pub fn sniff(head: &[u8]) -> Result<FileKind, String> {
    if head.starts_with(PNG) {
        Ok(FileKind::Png)
    } else if head.starts_with(JPEG) {
        Ok(FileKind::Jpeg)
    } else if head.starts_with(PDF) {
        Ok(FileKind::Pdf)
    } else {
        Err(describe(head))
    }
}

/// Names common formats so the refusal tells the customer what they sent; anything else is
/// shown as its first bytes in hex.
fn describe(head: &[u8]) -> String {
    const KNOWN: &[(&[u8], &str)] = &[
        (b"GIF8", "a GIF image"),
        (b"RIFF", "a RIFF file (WebP, WAV or AVI)"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"BM", "a BMP image"),
        (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"MZ", "a Windows executable"),
        (b"\x7fELF", "an ELF executable"),
        (b"\xd0\xcf\x11\xe0", "an old Office document"),
    ];
    if head.is_empty() {
        return "an empty file".to_owned();
    }
    if let Some((_, name)) = KNOWN.iter().find(|(magic, _)| head.starts_with(magic)) {
        return (*name).to_owned();
    }
    if head.len() >= 4 && &head[4..head.len().min(8)] == b"ftyp" {
        return "an ISO media file (HEIC, AVIF or MP4)".to_owned();
    }
    let sample = &head[..head.len().min(SNIFF_LEN)];
    if sample.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
        return "text".to_owned();
    }
    let hex: Vec<String> = sample.iter().map(|b| format!("{b:02x}")).collect();
    format!("unrecognised bytes {}", hex.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_types_are_recognised_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Ok(FileKind::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Ok(FileKind::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7\n"), Ok(FileKind::Pdf));
    }

    #[test]
    fn refusals_name_what_was_seen() {
        assert_eq!(sniff(b"hello, world").unwrap_err(), "text");
        assert_eq!(sniff(b"GIF89a..").unwrap_err(), "a GIF image");
        assert_eq!(sniff(b"").unwrap_err(), "an empty file");
        assert_eq!(sniff(b"\0\0\0\x18ftypheic").unwrap_err(), "an ISO media file (HEIC, AVIF or MP4)");
        assert_eq!(sniff(b"\x00\x01\x02\x03\xfe").unwrap_err(), "unrecognised bytes 00 01 02 03 fe");
    }
}
