//! Why an upload was refused (`src/http/documents.rs` says how each reads as a problem).

use super::model::DocumentType;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("only PNG, JPEG and PDF files are accepted (checked by content, not by name); this file is {seen}")]
    Unsupported { seen: String },
    #[error("{0}")]
    InvalidName(String),
    #[error("the upload could not be read: {0}")]
    Body(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A display name: trimmed, 1..=120 characters, no control characters.
pub fn parse_name(raw: Option<&str>, document_type: DocumentType) -> Result<String, UploadError> {
    let name = raw.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(document_type.as_str());
    if name.chars().count() > 120 {
        return Err(UploadError::InvalidName("name must be at most 120 characters".to_owned()));
    }
    if name.chars().any(char::is_control) {
        return Err(UploadError::InvalidName("name must not contain control characters".to_owned()));
    }
    Ok(name.to_owned())
}
