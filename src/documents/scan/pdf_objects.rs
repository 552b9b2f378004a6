//! The PDF's object graph, read by `lopdf` (a maintained parser, not byte patterns): every
//! dictionary of every object — plain, inside object streams, inline in another dictionary or
//! array, and the trailer — is checked for actions that reach outside the document or run code.
//!
//! `lopdf` has no timeout of its own, so it runs on a thread of its own that the scan waits for
//! at most `pdf_parse_timeout_ms`; a parse that overruns is refused as uninspectable (the thread
//! finishes on its own, its memory bounded by the same limits).

use std::sync::mpsc;
use std::time::Duration;

use lopdf::{Dictionary, Document, LoadOptions, Object};

use super::pdf_problem::PdfProblem;

/// Action types (`/S`) that reach outside the document or run code: a link to the web, another
/// file or a network share, a form posted away, data imported, a program started, a script, a
/// media rendition (which can carry JavaScript), sound and movies.
pub const FORBIDDEN_ACTIONS: &[&str] = &[
    "URI",
    "Launch",
    "SubmitForm",
    "GoToR",
    "GoToE",
    "ImportData",
    "JavaScript",
    "Rendition",
    "RichMediaExecute",
    "Sound",
    "Movie",
    "GoTo3DView",
];

/// Keys whose presence means scripts, embedded files, rich media or XML forms (which script).
pub const FORBIDDEN_KEYS: &[&str] =
    &["JS", "JavaScript", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA", "Launch"];

/// How deep dictionaries and arrays may nest inline before the file is refused.
const MAX_DEPTH: usize = 64;

/// Parses `bytes` (on a thread of its own, waiting at most `timeout`) and checks every object.
pub fn check(bytes: Vec<u8>, inflate_limit: u64, timeout: Duration) -> Result<(), PdfProblem> {
    let limit = usize::try_from(inflate_limit).unwrap_or(usize::MAX);
    on_parser_thread(timeout, move || parse_and_check(&bytes, limit))?
}

/// Runs `work` (a `lopdf` parse) on a thread of its own and waits for it at most `timeout`. An
/// overrun is refused as uninspectable; the thread then finishes on its own, its memory bounded
/// by the limits `work` was given.
pub fn on_parser_thread<T: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PdfProblem> {
    let (send, receive) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("pdf-parse".to_owned())
        .spawn(move || {
            // The receiver may have given up (timeout): nothing to do then.
            let _ = send.send(work());
        })
        .map_err(|e| PdfProblem::Uninspectable(format!("could not start the PDF parser: {e}")))?;
    match receive.recv_timeout(timeout) {
        Ok(answer) => Ok(answer),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(PdfProblem::Uninspectable(format!("parsing took longer than {} ms", timeout.as_millis())))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(PdfProblem::Invalid("the PDF parser stopped".to_owned())),
    }
}

/// `lopdf`'s load options under `inflate_limit`: lenient about syntax, strict about size.
pub fn load_options(inflate_limit: usize) -> LoadOptions {
    LoadOptions { strict: false, max_decompressed_size: Some(inflate_limit), ..LoadOptions::default() }
}

fn parse_and_check(bytes: &[u8], inflate_limit: usize) -> Result<(), PdfProblem> {
    let document = Document::load_mem_with_options(bytes, load_options(inflate_limit)).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => PdfProblem::Encrypted,
        other => PdfProblem::Invalid(format!("lopdf: {other}")),
    })?;
    if document.trailer.has(b"Encrypt") || document.is_encrypted() {
        return Err(PdfProblem::Encrypted);
    }
    check_dictionary(&document.trailer, "the trailer", 0)?;
    for (&(number, generation), object) in &document.objects {
        check_object(object, &format!("object {number} {generation}"), 0)?;
    }
    document.catalog().map_err(|_| PdfProblem::Invalid("no document catalog (/Root)".to_owned()))?;
    Ok(())
}

fn check_object(object: &Object, place: &str, depth: usize) -> Result<(), PdfProblem> {
    if depth > MAX_DEPTH {
        return Err(PdfProblem::Invalid(format!("{place} nests deeper than {MAX_DEPTH} levels")));
    }
    match object {
        Object::Dictionary(dictionary) => check_dictionary(dictionary, place, depth),
        Object::Stream(stream) => check_dictionary(&stream.dict, place, depth),
        Object::Array(items) => items.iter().try_for_each(|item| check_object(item, place, depth + 1)),
        _ => Ok(()),
    }
}

fn check_dictionary(dictionary: &Dictionary, place: &str, depth: usize) -> Result<(), PdfProblem> {
    if let Ok(Object::Name(action)) = dictionary.get(b"S") {
        let action = String::from_utf8_lossy(action);
        if FORBIDDEN_ACTIONS.contains(&action.as_ref()) {
            return Err(PdfProblem::Active(format!("a /{action} action in {place}")));
        }
    }
    for (key, value) in dictionary.iter() {
        let key = String::from_utf8_lossy(key);
        if FORBIDDEN_KEYS.contains(&key.as_ref()) {
            return Err(PdfProblem::Active(format!("/{key} in {place}")));
        }
        check_object(value, place, depth + 1)?;
    }
    Ok(())
}
