//! Turning stored text back into domain values: ids are UUID text and times fixed-width RFC 3339
//! text on both databases (see [`super::time`]). Rows decode into `FromRow` structs of portable
//! types; their conversions go through here, so a malformed value is one kind of error
//! (`sqlx::Error::Decode`) wherever it is read.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A stored id.
pub fn uuid(raw: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A stored time.
pub fn time(raw: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    super::time::from_db(raw)
}

/// A stored time that may be absent.
pub fn opt_time(raw: Option<String>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    raw.as_deref().map(time).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_times_decode_and_junk_is_a_decode_error() {
        let id = Uuid::now_v7();
        assert_eq!(uuid(&id.to_string()).unwrap(), id);
        assert!(matches!(uuid("not-an-id"), Err(sqlx::Error::Decode(_))));
        let now = crate::db::time::now();
        assert_eq!(time(&crate::db::time::to_db(now)).unwrap(), now);
        assert_eq!(opt_time(None).unwrap(), None);
        assert!(matches!(opt_time(Some("yesterday".into())), Err(sqlx::Error::Decode(_))));
    }
}
