//! What the scanner concludes, and the words the customer reads when a file is refused.

use super::super::model::FileKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Malware,
    DamagedImage,
    ImageTooLarge,
    ResolutionTooLow,
    TooBlurry,
    InvalidPdf,
    PdfActiveContent,
    PdfEncrypted,
    PdfUninspectable,
    PdfPolyglot,
}

impl Reason {
    /// What the customer is told: what is wrong and what to do about it.
    pub fn message(self) -> &'static str {
        match self {
            Self::Malware => "the file contains a known malware signature",
            Self::DamagedImage => "the image file is damaged or incomplete; take the photo again and upload it",
            Self::ImageTooLarge => {
                "the image is too large to process; resize it (or take a smaller photo) and upload it"
            }
            Self::ResolutionTooLow => {
                "the image resolution is too low to read the document; photograph it closer or with a better camera"
            }
            Self::TooBlurry => "image is too blurry to read; take a sharper photo in good light",
            Self::InvalidPdf => "file is not a valid PDF",
            Self::PdfActiveContent => {
                "the PDF contains scripts, launch actions, embedded files or rich media, or actions that reach outside it (web links, other files, forms sent away); print it to a plain PDF and upload that"
            }
            Self::PdfEncrypted => "the PDF is encrypted or password-protected; upload an unprotected copy",
            Self::PdfPolyglot => {
                "the PDF also carries another kind of file (data before its header, after its end or woven in); print it to a plain PDF and upload that"
            }
            Self::PdfUninspectable => {
                "the PDF uses an encoding the scanner cannot inspect; print it to a plain PDF and upload that"
            }
        }
    }
}

/// A refusal: the customer's reason, and for staff what exactly was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub finding: String,
}

impl Rejection {
    pub fn new(reason: Reason, finding: impl Into<String>) -> Self {
        Self { reason, finding: finding.into() }
    }
}

/// A file that passed.
#[derive(Debug)]
pub struct Passed {
    pub kind: FileKind,
    /// The re-encoded, metadata-free image; `None` when the original is served as it is (PDF).
    pub cleaned: Option<Vec<u8>>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub blur: Option<f64>,
}

#[derive(Debug)]
pub enum Verdict {
    Clean(Passed),
    Rejected(Rejection),
}
