//! What a document is: a named slot of one type owned by one user, holding immutable versions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kinds of document a customer can upload (docs/api.md `document_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    GovernmentId,
    Passport,
    DriversLicense,
    ProofOfAddress,
    Selfie,
    Other,
}

impl DocumentType {
    pub const ALL: [Self; 6] =
        [Self::GovernmentId, Self::Passport, Self::DriversLicense, Self::ProofOfAddress, Self::Selfie, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GovernmentId => "government_id",
            Self::Passport => "passport",
            Self::DriversLicense => "drivers_license",
            Self::ProofOfAddress => "proof_of_address",
            Self::Selfie => "selfie",
            Self::Other => "other",
        }
    }

    /// Parses the wire value; the error names every accepted value.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw.trim()).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
            format!("document_type must be one of {}", names.join(", "))
        })
    }

    /// Documents that prove who someone is: KYC needs one, and the scanner checks that they are
    /// large and sharp enough to read.
    pub fn is_identity(self) -> bool {
        matches!(self, Self::GovernmentId | Self::Passport | Self::DriversLicense)
    }
}

/// A file type the service accepts, decided from the content's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    Png,
    Jpeg,
    Pdf,
}

impl FileKind {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Pdf => "pdf",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::Pdf].into_iter().find(|k| k.mime() == mime)
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg)
    }
}

/// Where a version stands with the scanner (docs/api.md document `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    PendingScan,
    Clean,
    Rejected,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingScan => "pending_scan",
            Self::Clean => "clean",
            Self::Rejected => "rejected",
        }
    }
}

/// One immutable version of a document, as clients see it (docs/api.md's document body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DocumentVersion {
    /// The document's id (stable across versions).
    pub id: Uuid,
    /// This version's own id: what scans and download links name.
    pub version_id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub document_type: DocumentType,
    pub version: i64,
    pub status: ScanStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}
