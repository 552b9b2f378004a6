//! PDF checks in two layers. The byte layer here: a size cap, a header at the first byte, a
//! trailer that ends in `%%EOF` with nothing but a few bytes of white space after it, no
//! second file type woven in (HTML, a ZIP directory: polyglots), and every stream decoded under
//! a ceiling (Flate, ASCIIHex) and handed back for the signature scan, its dictionaries' names
//! checked even where the object graph does not reach them. Then the object layer
//! ([`pdf_objects`](super::pdf_objects), `lopdf`): actions that reach outside the document, run
//! code or carry files are refused wherever they are.

use std::time::Duration;

use memchr::{memchr_iter, memmem};

use super::inflate::{InflateError, inflate};
use super::pdf_objects;
pub use super::pdf_problem::PdfProblem;
use super::pdf_syntax::{filters, hex_decode, names, trim_eol};

/// Names whose presence means the PDF can run code or carry other files.
const FORBIDDEN: &[&str] = &[
    "JavaScript",
    "JS",
    "Launch",
    "EmbeddedFile",
    "EmbeddedFiles",
    "RichMedia",
    "RichMediaExecute",
    "SubmitForm",
    "GoToR",
    "GoToE",
    "ImportData",
    "XFA",
];
/// Bytes allowed after the last `%%EOF` (all white space): an end-of-line or two, never room
/// for another format's trailer (a ZIP end-of-directory record is at least 22 bytes).
pub const TRAILING_TOLERANCE: usize = 16;
/// How far from the end a ZIP reader looks for its end-of-directory record.
const ZIP_DIRECTORY_REACH: usize = 65_557;
/// Markup a browser would render as HTML, looked for (case-insensitively) in the raw bytes.
const HTML_MARKERS: &[&[u8]] =
    &[b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg", b"<object", b"<embed", b"<meta", b"<form"];
/// Image codecs: their data is pixels, not PDF objects, and is left encoded.
const IMAGE_FILTERS: &[&str] = &["DCTDecode", "DCT", "JPXDecode", "CCITTFaxDecode", "CCF", "JBIG2Decode"];

/// The bounds of one PDF check.
#[derive(Clone, Copy, Debug)]
pub struct PdfLimits {
    /// Most bytes one stream may expand to.
    pub inflate: u64,
    /// Largest PDF inspected at all.
    pub max_bytes: u64,
    /// Longest the object parser may take.
    pub parse_timeout: Duration,
}

/// A PDF that passed: its decoded streams (for the signature scan).
pub struct CheckedPdf {
    pub streams: Vec<Stream>,
}

/// A decoded stream, for the signature scan.
pub struct Stream {
    pub label: String,
    pub bytes: Vec<u8>,
}

pub fn check(bytes: &[u8], limits: PdfLimits) -> Result<CheckedPdf, PdfProblem> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(PdfProblem::Uninspectable(format!(
            "{} bytes is over the {} byte cap",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let streams = check_bytes(bytes, limits.inflate)?;
    pdf_objects::check(bytes.to_vec(), limits.inflate, limits.parse_timeout)?;
    Ok(CheckedPdf { streams })
}

fn check_bytes(bytes: &[u8], inflate_limit: u64) -> Result<Vec<Stream>, PdfProblem> {
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
    refuse_polyglot(bytes)?;

    let mut decoded = Vec::new();
    // Where dictionaries live: the file outside stream data, and decoded object streams.
    let mut regions: Vec<&[u8]> = Vec::new();
    let mut object_streams = Vec::new();
    let mut at = 0;
    let mut region_start = 0;
    // `inflate_limit` bounds the streams together: every decoded stream is held until the
    // signature scan.
    let mut left = inflate_limit;
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
        if let Some(plain) = decode(dict, trim_eol(&bytes[data_start..end]), left, &label)? {
            left -= (plain.len() as u64).min(left);
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

/// Another format in the file: data after the last `%%EOF` beyond a little white space, a ZIP
/// end-of-directory record where a ZIP reader would find it, or HTML markup anywhere.
fn refuse_polyglot(bytes: &[u8]) -> Result<(), PdfProblem> {
    let polyglot = |what: String| Err(PdfProblem::Polyglot(what));
    if let Some(end) = memmem::rfind(bytes, b"%%EOF") {
        let after = &bytes[end + 5..];
        if after.len() > TRAILING_TOLERANCE || !after.iter().all(|b| b" \t\r\n\x0c\0".contains(b)) {
            return polyglot(format!("{} bytes after the last %%EOF", after.len()));
        }
    }
    let tail = &bytes[bytes.len().saturating_sub(ZIP_DIRECTORY_REACH)..];
    if let Some(at) = memmem::find(tail, b"PK\x05\x06") {
        return polyglot(format!("a ZIP end-of-directory record at byte {}", bytes.len() - tail.len() + at));
    }
    for at in memchr_iter(b'<', bytes) {
        let rest = &bytes[at..];
        if let Some(marker) =
            HTML_MARKERS.iter().find(|m| rest.len() >= m.len() && rest[..m.len()].eq_ignore_ascii_case(m))
        {
            return polyglot(format!("HTML ({}) at byte {at}", String::from_utf8_lossy(marker)));
        }
    }
    Ok(())
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
                InflateError::TooLarge => {
                    PdfProblem::Uninspectable(format!("{label} expands beyond the {limit} bytes left to inflate"))
                }
            })?,
            "ASCIIHexDecode" | "AHx" => {
                hex_decode(&plain).ok_or_else(|| PdfProblem::Invalid(format!("{label} is not hex")))?
            }
            other => return Err(PdfProblem::Uninspectable(format!("{label} is encoded with /{other}"))),
        };
    }
    Ok(Some(plain))
}
