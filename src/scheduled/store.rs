//! The `scheduled_transfers` and `scheduled_transfer_runs` tables.

use chrono::NaiveDate;
use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::model::{Frequency, Occurrence, ScheduleStatus, ScheduledTransfer};
use crate::db::{decode, time};

const COLUMNS: &str = "id, user_id, from_account_id, to_account_number, amount, currency, description, frequency, \
                       start_date, end_date, next_run_on, status, created_at";

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: String,
    user_id: String,
    from_account_id: String,
    to_account_number: String,
    amount: i64,
    currency: String,
    description: Option<String>,
    frequency: String,
    start_date: String,
    end_date: Option<String>,
    next_run_on: Option<String>,
    status: String,
    created_at: String,
}

fn date(raw: &str) -> Result<NaiveDate, sqlx::Error> {
    raw.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl TryFrom<ScheduleRow> for ScheduledTransfer {
    type Error = sqlx::Error;

    fn try_from(row: ScheduleRow) -> Result<Self, sqlx::Error> {
        Ok(ScheduledTransfer {
            id: decode::uuid(&row.id)?,
            user_id: decode::uuid(&row.user_id)?,
            from_account_id: decode::uuid(&row.from_account_id)?,
            to_account_number: row.to_account_number,
            amount: row.amount,
            currency: row.currency,
            description: row.description,
            frequency: Frequency::parse(&row.frequency)?,
            start_date: date(&row.start_date)?,
            end_date: row.end_date.as_deref().map(date).transpose()?,
            next_run_on: row.next_run_on.as_deref().map(date).transpose()?,
            status: ScheduleStatus::parse(&row.status)?,
            created_at: decode::time(&row.created_at)?,
            occurrences: Vec::new(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RunRow {
    schedule_id: String,
    run_on: String,
    outcome: String,
    transaction_id: Option<String>,
    reason: Option<String>,
    detail: Option<String>,
    created_at: String,
}

impl RunRow {
    fn occurrence(self) -> Result<(Uuid, Occurrence), sqlx::Error> {
        Ok((
            decode::uuid(&self.schedule_id)?,
            Occurrence {
                on: date(&self.run_on)?,
                outcome: self.outcome,
                transaction_id: self.transaction_id.as_deref().map(decode::uuid).transpose()?,
                reason: self.reason,
                detail: self.detail,
                created_at: decode::time(&self.created_at)?,
            },
        ))
    }
}

#[tracing::instrument(skip_all)]
pub async fn insert(conn: &mut AnyConnection, s: &ScheduledTransfer) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO scheduled_transfers (id, user_id, from_account_id, to_account_number, amount, currency, \
         description, frequency, start_date, end_date, next_run_on, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(s.id.to_string())
    .bind(s.user_id.to_string())
    .bind(s.from_account_id.to_string())
    .bind(&s.to_account_number)
    .bind(s.amount)
    .bind(&s.currency)
    .bind(s.description.as_deref())
    .bind(s.frequency.as_str())
    .bind(s.start_date.to_string())
    .bind(s.end_date.map(|d| d.to_string()))
    .bind(s.next_run_on.map(|d| d.to_string()))
    .bind(s.status.as_str())
    .bind(time::to_db(s.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The user's schedules, newest first, with their occurrences.
#[tracing::instrument(skip_all)]
pub async fn list_owned(pool: &AnyPool, user: Uuid) -> Result<Vec<ScheduledTransfer>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM scheduled_transfers WHERE user_id = $1 ORDER BY id DESC LIMIT 200");
    let rows: Vec<ScheduleRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user.to_string()).fetch_all(pool).await?;
    let mut schedules = rows.into_iter().map(ScheduledTransfer::try_from).collect::<Result<Vec<_>, _>>()?;
    let runs: Vec<RunRow> = sqlx::query_as(
        "SELECT r.schedule_id, r.run_on, r.outcome, r.transaction_id, r.reason, r.detail, r.created_at \
         FROM scheduled_transfer_runs r JOIN scheduled_transfers s ON s.id = r.schedule_id \
         WHERE s.user_id = $1 ORDER BY r.run_on DESC",
    )
    .bind(user.to_string())
    .fetch_all(pool)
    .await?;
    for run in runs {
        let (schedule, occurrence) = run.occurrence()?;
        if let Some(s) = schedules.iter_mut().find(|s| s.id == schedule) {
            s.occurrences.push(occurrence);
        }
    }
    Ok(schedules)
}

/// One schedule with its occurrences (any owner's: the caller checks).
#[tracing::instrument(skip_all)]
pub async fn get(pool: &AnyPool, id: Uuid) -> Result<Option<ScheduledTransfer>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM scheduled_transfers WHERE id = $1");
    let Some(row) =
        sqlx::query_as::<_, ScheduleRow>(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?
    else {
        return Ok(None);
    };
    let mut schedule = ScheduledTransfer::try_from(row)?;
    let runs: Vec<RunRow> = sqlx::query_as(
        "SELECT schedule_id, run_on, outcome, transaction_id, reason, detail, created_at \
         FROM scheduled_transfer_runs WHERE schedule_id = $1 ORDER BY run_on DESC",
    )
    .bind(id.to_string())
    .fetch_all(pool)
    .await?;
    for run in runs {
        schedule.occurrences.push(run.occurrence()?.1);
    }
    Ok(Some(schedule))
}

/// Active schedules with an occurrence due on or before `today`.
#[tracing::instrument(skip_all)]
pub async fn due(pool: &AnyPool, today: NaiveDate, limit: i64) -> Result<Vec<ScheduledTransfer>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM scheduled_transfers WHERE status = 'active' AND next_run_on <= $1 \
         ORDER BY next_run_on, id LIMIT $2"
    );
    let rows: Vec<ScheduleRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(today.to_string()).bind(limit).fetch_all(pool).await?;
    rows.into_iter().map(ScheduledTransfer::try_from).collect()
}

/// Moves an active schedule's next occurrence from `from` to `to` (none: completed). `false`
/// when another tick moved it first (or it was cancelled).
#[tracing::instrument(skip_all)]
pub async fn advance(
    conn: &mut AnyConnection,
    id: Uuid,
    from: NaiveDate,
    to: Option<NaiveDate>,
) -> Result<bool, sqlx::Error> {
    let status = if to.is_some() { "active" } else { "completed" };
    let done = sqlx::query(
        "UPDATE scheduled_transfers SET next_run_on = $1, status = $2 \
         WHERE id = $3 AND status = 'active' AND next_run_on = $4",
    )
    .bind(to.map(|d| d.to_string()))
    .bind(status)
    .bind(id.to_string())
    .bind(from.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels the user's active schedule; `false` when there is none such.
#[tracing::instrument(skip_all)]
pub async fn cancel(conn: &mut AnyConnection, id: Uuid, user: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE scheduled_transfers SET status = 'cancelled', next_run_on = NULL, cancelled_at = $1 \
         WHERE id = $2 AND user_id = $3 AND status <> 'cancelled'",
    )
    .bind(time::to_db(time::now()))
    .bind(id.to_string())
    .bind(user.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what an occurrence came to; `false` when it was recorded before (a second run of
/// the same occurrence, which the ledger answered with the first one's result).
#[tracing::instrument(skip_all)]
pub async fn record_run(
    conn: &mut AnyConnection,
    id: Uuid,
    on: NaiveDate,
    run: &Occurrence,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO scheduled_transfer_runs (schedule_id, run_on, outcome, transaction_id, reason, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (schedule_id, run_on) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(on.to_string())
    .bind(&run.outcome)
    .bind(run.transaction_id.map(|t| t.to_string()))
    .bind(run.reason.as_deref())
    .bind(run.detail.as_deref())
    .bind(time::to_db(run.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the occurrence already ran.
pub async fn ran(pool: &AnyPool, id: Uuid, on: NaiveDate) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT outcome FROM scheduled_transfer_runs WHERE schedule_id = $1 AND run_on = $2")
            .bind(id.to_string())
            .bind(on.to_string())
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}
