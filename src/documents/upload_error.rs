//! Why an upload was refused, and how each refusal reads as a problem.

use actix_web::http::StatusCode;

use super::model::DocumentType;
use crate::error::{ApiError, Problem};

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

impl From<UploadError> for ApiError {
    fn from(error: UploadError) -> Self {
        let detail = error.to_string();
        match error {
            UploadError::TooLarge { .. } => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", detail).into()
            }
            UploadError::Unsupported { .. } => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", detail).into()
            }
            UploadError::InvalidName(message) => {
                Problem::invalid_fields([("name".to_owned(), vec![message])].into_iter().collect()).into()
            }
            UploadError::Body(_) => Problem::bad_request(detail).into(),
            UploadError::Internal(cause) => Self::Internal(cause),
        }
    }
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
