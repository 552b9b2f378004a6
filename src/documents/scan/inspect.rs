//! The scan of one file's bytes: pure, synchronous, CPU-bound (run it off the async threads).

use super::super::model::{DocumentType, FileKind};
use super::super::sniff::sniff;
use super::containers::{ContainerError, Part, jpeg_parts, png_parts};
use super::picture::{self, PictureProblem};
use super::verdict::{Passed, Reason, Rejection, Verdict};
use super::{blur, pdf, signatures};
use crate::config::ScanSettings;

/// Checks `bytes`, uploaded as `kind` for a document of type `document_type`.
pub fn inspect(bytes: &[u8], kind: FileKind, document_type: DocumentType, settings: &ScanSettings) -> Verdict {
    match check(bytes, kind, document_type, settings) {
        Ok(passed) => Verdict::Clean(passed),
        Err(rejection) => Verdict::Rejected(rejection),
    }
}

fn check(
    bytes: &[u8],
    kind: FileKind,
    document_type: DocumentType,
    settings: &ScanSettings,
) -> Result<Passed, Rejection> {
    if let Some(name) = signatures::find(bytes) {
        return Err(Rejection::new(Reason::Malware, format!("{name} in the file's bytes")));
    }
    if sniff(bytes) != Ok(kind) {
        return Err(Rejection::new(Reason::DamagedImage, "content no longer matches its recorded type"));
    }
    let limit = settings.max_inflated_bytes;
    match kind {
        FileKind::Pdf => {
            let limits = pdf::PdfLimits {
                inflate: limit,
                max_bytes: settings.pdf_max_bytes,
                parse_timeout: std::time::Duration::from_millis(settings.pdf_parse_timeout_ms),
            };
            let checked = pdf::check(bytes, limits).map_err(pdf_rejection)?;
            for stream in checked.streams {
                refuse_signatures(&stream.label, &stream.bytes)?;
            }
            return Ok(Passed { kind, cleaned: None, width: None, height: None, blur: None });
        }
        FileKind::Png => parts(png_parts(bytes, limit))?,
        FileKind::Jpeg => parts(jpeg_parts(bytes))?,
    }
    let blur = document_type.is_identity();
    let (image, plan) = picture::decode(bytes, kind, settings, blur).map_err(|p| match p {
        PictureProblem::TooLarge(what) => Rejection::new(Reason::ImageTooLarge, what),
        PictureProblem::Damaged(what) => Rejection::new(Reason::DamagedImage, what),
    })?;
    let (width, height) = (image.width(), image.height());
    let mut sharpness = None;
    if document_type.is_identity() {
        let (long, short) = (width.max(height), width.min(height));
        if long < settings.min_long_side || short < settings.min_short_side {
            return Err(Rejection::new(
                Reason::ResolutionTooLow,
                format!("{width}×{height}; at least {}×{} needed", settings.min_long_side, settings.min_short_side),
            ));
        }
        let score = blur::score(&image);
        if score < settings.blur_threshold {
            return Err(Rejection::new(
                Reason::TooBlurry,
                format!("variance of the Laplacian {score:.1} < {}", settings.blur_threshold),
            ));
        }
        sharpness = Some(score);
    }
    let cleaned =
        picture::reencode(image, kind, plan.output_cap).map_err(|e| Rejection::new(Reason::ImageTooLarge, e))?;
    Ok(Passed { kind, cleaned: Some(cleaned), width: Some(width), height: Some(height), blur: sharpness })
}

/// Signatures in the container's decoded parts, and its structure.
fn parts(parts: Result<Vec<Part>, ContainerError>) -> Result<(), Rejection> {
    let parts = parts.map_err(|e| match e {
        ContainerError::Damaged(what) => Rejection::new(Reason::DamagedImage, what),
        ContainerError::TooLarge(what) => Rejection::new(Reason::ImageTooLarge, what),
    })?;
    parts.iter().try_for_each(|part| refuse_signatures(&part.label, &part.bytes))
}

fn refuse_signatures(label: &str, bytes: &[u8]) -> Result<(), Rejection> {
    match signatures::find(bytes) {
        Some(name) => Err(Rejection::new(Reason::Malware, format!("{name} in {label}"))),
        None => Ok(()),
    }
}

fn pdf_rejection(problem: pdf::PdfProblem) -> Rejection {
    match problem {
        pdf::PdfProblem::Invalid(what) => Rejection::new(Reason::InvalidPdf, what),
        pdf::PdfProblem::Encrypted => Rejection::new(Reason::PdfEncrypted, "/Encrypt in the trailer"),
        pdf::PdfProblem::Active(name) => Rejection::new(Reason::PdfActiveContent, format!("{name} present")),
        pdf::PdfProblem::Uninspectable(what) => Rejection::new(Reason::PdfUninspectable, what),
        pdf::PdfProblem::Polyglot(what) => Rejection::new(Reason::PdfPolyglot, what),
    }
}
