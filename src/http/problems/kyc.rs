//! [`KycError`] as problem+json: 409 for the submission's state, 422 for missing documents, 400 for a
//! bad reason, 403 for a reviewer's own submission.

use crate::error::{Error, FieldErrors, Kind, Problem};
use crate::kyc::KycError;

/// How each KYC refusal reads as a problem (the staff endpoints share it).
impl From<KycError> for Error {
    fn from(error: KycError) -> Self {
        let detail = error.to_string();
        let conflict = |slug: &str| Problem::new(Kind::Conflict, slug, detail.clone()).into();
        match error {
            KycError::AlreadySubmitted => conflict("kyc-already-submitted"),
            KycError::AlreadyApproved => conflict("kyc-already-approved"),
            KycError::NotSubmitted => conflict("kyc-not-submitted"),
            KycError::Raced => conflict("conflict"),
            KycError::DocumentsMissing { notes } => {
                let mut problem = Problem::new(Kind::Unprocessable, "kyc-documents-missing", detail);
                problem.errors.insert("documents".to_owned(), notes);
                problem.into()
            }
            KycError::InvalidReason(message) => {
                let errors: FieldErrors = [("reason".to_owned(), vec![message.to_owned()])].into_iter().collect();
                Problem::invalid_fields(errors).into()
            }
            KycError::OwnSubmission => Problem::new(Kind::Forbidden, "forbidden", detail).into(),
            KycError::UnknownUser => Problem::not_found("user").into(),
            KycError::Store(error) => error.into(),
            KycError::Internal(error) => Self::Internal(error),
        }
    }
}
