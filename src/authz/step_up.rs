//! The step-up rule: sensitive operations need a session that passed MFA within
//! `[mfa] step_up_minutes` (a sign-in with a code, or `POST /v1/mfa/step-up`); otherwise 403
//! `mfa-step-up-required`. The session's MFA time is read from the database on each check, so a
//! step-up counts at once, with no new token. Handlers declare it with the `StepUp` extractor
//! (`crate::http::guards::StepUp`); the ledger asks it only for transfers above its threshold.

use chrono::{Duration, Utc};
use uuid::Uuid;

use super::store;
use crate::db::Db;
use crate::error::{Error, Kind, Problem};

/// Who the step-up applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enrollment {
    /// Users with MFA on must have stepped up; users without MFA pass (password change).
    IfEnrolled,
    /// Everyone must have stepped up; without MFA that is impossible (large transfers).
    Required,
}

pub fn step_up_required(minutes: u64) -> Error {
    Problem::new(
        Kind::Forbidden,
        "mfa-step-up-required",
        format!(
            "this needs a session that passed MFA in the last {minutes} minutes: confirm a code at \
             POST /v1/mfa/step-up (or sign in again with MFA) and retry"
        ),
    )
    .into()
}

/// The rule, with the database it reads sessions from and its window.
pub struct StepUpRule {
    db: Db,
    minutes: u64,
}

impl StepUpRule {
    pub fn new(db: Db, minutes: u64) -> Self {
        Self { db, minutes }
    }

    /// Whether the session satisfies the rule now.
    #[tracing::instrument(skip_all, fields(session = %session_id))]
    pub async fn passed(&self, session_id: Uuid, enrollment: Enrollment) -> Result<bool, sqlx::Error> {
        let session = store::session_mfa(self.db.reader(), session_id).await?;
        if enrollment == Enrollment::IfEnrolled && !session.enrolled {
            return Ok(true);
        }
        let window = Duration::minutes(i64::try_from(self.minutes).unwrap_or(i64::MAX / 60_000));
        Ok(session.passed && session.at.is_some_and(|at| at + window >= Utc::now()))
    }

    /// `Ok` when the session satisfies the rule now; 403 `mfa-step-up-required` otherwise.
    pub async fn require(&self, session_id: Uuid, enrollment: Enrollment) -> Result<(), Error> {
        if self.passed(session_id, enrollment).await? { Ok(()) } else { Err(step_up_required(self.minutes)) }
    }
}
