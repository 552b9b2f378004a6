//! Why a PDF is refused, as both layers of the PDF check say it.

#[derive(Debug, PartialEq, Eq)]
pub enum PdfProblem {
    /// Not a PDF at all, or cut off, or damaged.
    Invalid(String),
    Encrypted,
    /// Names the active content found.
    Active(String),
    /// An encoding the scanner cannot read, a stream that expands too far, a file over the
    /// size cap or a parse over the time limit.
    Uninspectable(String),
    /// Data of another format before the header, after the end or woven in.
    Polyglot(String),
}
