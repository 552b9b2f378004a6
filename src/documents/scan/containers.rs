//! The places inside PNG and JPEG files where text (or anything else) can hide: PNG text and
//! profile chunks, compressed ones inflated; JPEG comment and application segments.

use super::inflate::{InflateError, inflate};

/// A decoded part of a file, named for the staff-facing finding.
pub struct Part {
    pub label: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ContainerError {
    /// The file's structure is broken (truncated, lengths pointing past the end).
    Damaged(String),
    /// A compressed part expands beyond the ceiling.
    TooLarge(String),
}

const PNG_SIGNATURE: usize = 8;

/// The PNG's text-bearing chunks (`tEXt`, `zTXt`, `iTXt`, `iCCP`), compressed ones inflated.
pub fn png_parts(bytes: &[u8], limit: u64) -> Result<Vec<Part>, ContainerError> {
    let mut parts = Vec::new();
    let mut at = PNG_SIGNATURE;
    // `limit` bounds the chunks together: every inflated part is held until the signature scan.
    let mut left = limit;
    loop {
        let header = bytes.get(at..at + 8).ok_or_else(|| damaged("PNG ends before its IEND chunk"))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = String::from_utf8_lossy(&header[4..8]).into_owned();
        let data = bytes.get(at + 8..at + 8 + len).ok_or_else(|| damaged(&format!("PNG chunk {kind} is truncated")))?;
        at += 12 + len;
        match kind.as_str() {
            "IEND" => return Ok(parts),
            "tEXt" => parts.push(Part { label: "PNG tEXt chunk".to_owned(), bytes: data.to_vec() }),
            "zTXt" | "iCCP" => {
                let (keyword, rest) = split_nul(data);
                // One compression-method byte, then zlib data.
                let text = inflate_part(rest.get(1..).unwrap_or_default(), left, &kind)?;
                left -= text.len() as u64;
                parts.push(Part { label: format!("PNG {kind} chunk"), bytes: keyword.to_vec() });
                parts.push(Part { label: format!("PNG {kind} chunk (inflated)"), bytes: text });
            }
            "iTXt" => {
                let part = itxt(data, left)?;
                left = left.saturating_sub(part.bytes.len() as u64);
                parts.push(part);
            }
            _ => {}
        }
    }
}

/// `keyword \0 flag method language \0 translated \0 text`, the text compressed when flag is 1.
fn itxt(data: &[u8], limit: u64) -> Result<Part, ContainerError> {
    let (_, rest) = split_nul(data);
    let compressed = rest.first() == Some(&1);
    let (_, rest) = split_nul(rest.get(2..).unwrap_or_default());
    let (_, text) = split_nul(rest);
    if compressed {
        Ok(Part { label: "PNG iTXt chunk (inflated)".to_owned(), bytes: inflate_part(text, limit, "iTXt")? })
    } else {
        Ok(Part { label: "PNG iTXt chunk".to_owned(), bytes: text.to_vec() })
    }
}

fn inflate_part(data: &[u8], limit: u64, kind: &str) -> Result<Vec<u8>, ContainerError> {
    inflate(data, limit).map_err(|e| match e {
        InflateError::Invalid => damaged(&format!("PNG {kind} chunk does not inflate")),
        InflateError::TooLarge => {
            ContainerError::TooLarge(format!("PNG {kind} chunk expands beyond the {limit} bytes left to inflate"))
        }
    })
}

fn split_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn damaged(what: &str) -> ContainerError {
    ContainerError::Damaged(what.to_owned())
}

/// The JPEG's comment (COM) and application (APP0–APP15: EXIF, XMP, ICC…) segments before the
/// image data, and whether the image data is followed by its end marker (a truncated file is not).
pub fn jpeg_parts(bytes: &[u8]) -> Result<Vec<Part>, ContainerError> {
    let mut parts = Vec::new();
    let mut at = 2; // after SOI
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err(damaged("JPEG segment does not start with a marker"));
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or_else(|| damaged("JPEG ends inside a marker"))?;
        at += 1;
        if marker == 0xD9 {
            return Err(damaged("JPEG ends before any image data"));
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue; // markers without a length
        }
        let len_bytes = bytes.get(at..at + 2).ok_or_else(|| damaged("JPEG ends inside a segment header"))?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let data = bytes
            .get(at + 2..at + len.max(2))
            .ok_or_else(|| damaged(&format!("JPEG segment {marker:#04X} is truncated")))?;
        at += len.max(2);
        match marker {
            0xFE => parts.push(Part { label: "JPEG comment".to_owned(), bytes: data.to_vec() }),
            0xE0..=0xEF => {
                parts.push(Part { label: format!("JPEG APP{} segment", marker - 0xE0), bytes: data.to_vec() })
            }
            0xDA => {
                // Entropy-coded data stuffs every 0xFF as FF 00, so FF D9 only ever is the end marker.
                return if memchr::memmem::rfind(&bytes[at..], &[0xFF, 0xD9]).is_some() {
                    Ok(parts)
                } else {
                    Err(damaged("JPEG image data is cut off (no end marker)"))
                };
            }
            _ => {}
        }
    }
}
