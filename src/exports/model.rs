//! What an export is: its kind, format and status, and its row without the file.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Everything held about one user, for that user.
    User,
    /// Audit log entries matching a filter, for staff.
    Audit,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Audit => "audit",
        }
    }

    pub(super) fn parse(raw: &str) -> Option<Self> {
        [Self::User, Self::Audit].into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    pub(super) fn parse(raw: &str) -> Option<Self> {
        [Self::Json, Self::Csv].into_iter().find(|f| f.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Pending,
    Ready,
    Failed,
    Expired,
}

impl ExportStatus {
    pub(super) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// An export's row, without its payload.
#[derive(Clone, Debug)]
pub struct Export {
    pub id: Uuid,
    pub kind: ExportKind,
    pub user_id: Uuid,
    pub format: Format,
    pub filters: Option<serde_json::Value>,
    pub status: ExportStatus,
    pub requested_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}
