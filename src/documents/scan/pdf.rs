//! PDF structure checks, byte-level: a header, a trailer that ends in `%%EOF`, no encryption, and
//! no active content — JavaScript, launch actions, embedded files, rich media — whether written
//! in plain dictionaries or hidden in compressed object streams or behind `#xx` name escapes.
//! Every stream is decoded (Flate, ASCIIHex) and handed back for the signature scan.

use memchr::memmem;

use super::inflate::{InflateError, inflate};
use super::pdf_syntax::{filters, hex_decode, names, trim_eol};

/// Names whose presence means the PDF can run code or carry other files.
const FORBIDDEN: &[&str] = &["JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia"];
/// Image codecs: their data is pixels, not PDF objects, and is left encoded.
const IMAGE_FILTERS: &[&str] = &["DCTDecode", "DCT", "JPXDecode", "CCITTFaxDecode", "CCF", "JBIG2Decode"];

#[derive(Debug, PartialEq, Eq)]
pub enum PdfProblem {
    /// Not a PDF at all, or cut off, or damaged.
    Invalid(String),
    Encrypted,
    /// Names the active content found.
    Active(String),
    /// An encoding the scanner cannot read, or a stream that expands too far.
    Uninspectable(String),
}

/// A decoded stream, for the signature scan.
pub struct Stream {
    pub label: String,
    pub bytes: Vec<u8>,
}

pub fn check(bytes: &[u8], inflate_limit: u64) -> Result<Vec<Stream>, PdfProblem> {
    let invalid = |what: &str| PdfProblem::Invalid(what.to_owned());
    let version = bytes.get(5..8).ok_or_else(|| invalid("no PDF header"))?;
    if !(bytes.starts_with(b"%PDF-")
        && (version.starts_with(b"1.") || version.starts_with(b"2."))
        && version[2].is_ascii_digit())
    {
        return Err(invalid("no PDF header"));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if memmem::find(tail, b"%%EOF").is_none() || memmem::find(tail, b"startxref").is_none() {
        return Err(invalid("no trailer (startxref … %%EOF) at the end: the file is cut off"));
    }
    if memmem::find(bytes, b" obj").is_none() && memmem::find(bytes, b"\nobj").is_none() {
        return Err(invalid("no objects"));
    }

    let mut decoded = Vec::new();
    // Where dictionaries live: the file outside stream data, and decoded object streams.
    let mut regions: Vec<&[u8]> = Vec::new();
    let mut object_streams = Vec::new();
    let mut at = 0;
    let mut region_start = 0;
    while let Some(found) = memmem::find(&bytes[at..], b"stream") {
        let keyword = at + found;
        at = keyword + 6;
        let data_start = match (bytes.get(at), bytes.get(at + 1)) {
            (Some(b'\r'), Some(b'\n')) => at + 2,
            (Some(b'\n'), _) => at + 1,
            _ => continue, // "endstream", or the word inside some text
        };
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let dict = stream_dict(bytes, keyword).ok_or_else(|| invalid("a stream has no dictionary"))?;
        let end = memmem::find(&bytes[data_start..], b"endstream")
            .map(|i| data_start + i)
            .ok_or_else(|| invalid("a stream has no end (endstream)"))?;
        regions.push(&bytes[region_start..data_start]);
        region_start = end;
        at = end + 9;
        let label = format!("PDF stream at byte {data_start}");
        if let Some(plain) = decode(dict, trim_eol(&bytes[data_start..end]), inflate_limit, &label)? {
            if names(dict).iter().any(|(name, _)| name == "ObjStm") {
                object_streams.push(decoded.len());
            }
            decoded.push(Stream { label, bytes: plain });
        }
    }
    regions.push(&bytes[region_start..]);
    regions.extend(object_streams.iter().map(|&i| decoded[i].bytes.as_slice()));

    let mut has_root = false;
    for region in regions {
        for (name, _) in names(region) {
            if name == "Encrypt" {
                return Err(PdfProblem::Encrypted);
            }
            if FORBIDDEN.contains(&name.as_str()) {
                return Err(PdfProblem::Active(format!("/{name}")));
            }
            has_root |= name == "Root";
        }
    }
    if !has_root {
        return Err(invalid("no document catalog (/Root)"));
    }
    Ok(decoded)
}

/// The dictionary before a `stream` keyword: from its object's `obj` keyword to the stream.
fn stream_dict(bytes: &[u8], keyword: usize) -> Option<&[u8]> {
    let floor = keyword.saturating_sub(64 * 1024);
    let mut end = keyword;
    while let Some(found) = memmem::rfind(&bytes[floor..end], b"obj") {
        let obj = floor + found;
        if obj >= 3 && &bytes[obj - 3..obj] == b"end" {
            end = obj;
            continue;
        }
        let dict = &bytes[obj + 3..keyword];
        return memmem::find(dict, b"<<").map(|_| dict);
    }
    None
}

/// The stream's data with its filters undone; `None` for image codecs (pixels, not objects).
fn decode(dict: &[u8], data: &[u8], limit: u64, label: &str) -> Result<Option<Vec<u8>>, PdfProblem> {
    let filters = filters(dict);
    if filters.iter().any(|f| IMAGE_FILTERS.contains(&f.as_str())) {
        return Ok(None);
    }
    let mut plain = data.to_vec();
    for filter in filters {
        plain = match filter.as_str() {
            "FlateDecode" | "Fl" => inflate(&plain, limit).map_err(|e| match e {
                InflateError::Invalid => PdfProblem::Invalid(format!("{label} does not inflate")),
                InflateError::TooLarge => PdfProblem::Uninspectable(format!("{label} expands beyond {limit} bytes")),
            })?,
            "ASCIIHexDecode" | "AHx" => {
                hex_decode(&plain).ok_or_else(|| PdfProblem::Invalid(format!("{label} is not hex")))?
            }
            other => return Err(PdfProblem::Uninspectable(format!("{label} is encoded with /{other}"))),
        };
    }
    Ok(Some(plain))
}
