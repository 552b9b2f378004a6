//! Document refusals as problem+json: an upload too large (413), of a type not accepted (415) or
//! badly named (400); a download link for a missing (404) or not yet clean (409) document.

use crate::documents::{LinkError, UploadError};
use crate::error::{Error, Kind, Problem};

/// How each upload refusal reads as a problem.
impl From<UploadError> for Error {
    fn from(error: UploadError) -> Self {
        let detail = error.to_string();
        match error {
            UploadError::TooLarge { .. } => Problem::new(Kind::TooLarge, "payload-too-large", detail).into(),
            UploadError::Unsupported { .. } => {
                Problem::new(Kind::UnsupportedType, "unsupported-media-type", detail).into()
            }
            UploadError::InvalidName(message) => {
                Problem::invalid_fields([("name".to_owned(), vec![message])].into_iter().collect()).into()
            }
            UploadError::Body(_) => Problem::bad_request(detail).into(),
            UploadError::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// How a refused download link reads as a problem (the staff endpoint shares it).
impl From<LinkError> for Error {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::NoDocument => Problem::not_found("document").into(),
            LinkError::NoVersion => Problem::not_found("document version").into(),
            LinkError::NotClean(detail) => Problem::new(Kind::Conflict, "document-not-clean", detail).into(),
            LinkError::Store(error) => error.into(),
        }
    }
}
