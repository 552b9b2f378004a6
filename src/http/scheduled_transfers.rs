//! `/v1/scheduled-transfers`: a customer's standing orders — create, list, read, cancel.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::ledger_request::{caller, money_request};
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::ledger::money::Amount;
use crate::scheduled::NewSchedule;
use crate::scheduled::model::{Frequency, ScheduledTransfer};
use crate::state::AppState;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from_account_id": "0190b5a2-6c1e-7a3c-9a4e-2f1d3c4b5a69", "to_account_number": "1234-5678-9012", "amount": 90000, "description": "rent", "start_date": "2026-12-31", "frequency": "monthly"}))]
pub struct ScheduleBody {
    pub from_account_id: Uuid,
    /// 12 digits; spaces and dashes are ignored.
    pub to_account_number: String,
    pub amount: Amount,
    /// Up to 140 characters, shown to both sides.
    pub description: Option<String>,
    /// The first occurrence's day (UTC), today or later. Monthly schedules run on this day of
    /// each month, or the month's last day when it is shorter.
    pub start_date: NaiveDate,
    pub frequency: Frequency,
    /// The last day an occurrence may fall on.
    pub end_date: Option<NaiveDate>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduleList {
    pub items: Vec<ScheduledTransfer>,
    /// Always null: the newest 200 schedules are listed.
    pub next_cursor: Option<String>,
}

/// Schedules a transfer: once, weekly or monthly. Each occurrence runs once, through the same
/// checks as `POST /v1/transfers`; a refused one is recorded (see `occurrences`) and emailed.
/// Above the step-up threshold the session must have passed MFA.
#[utoipa::path(
    operation_id = "create_scheduled_transfer",
    tag = "money",
    security(("bearer" = [])),
    request_body = ScheduleBody,
    responses(
        (status = 201, description = "the schedule, `active`", body = ScheduledTransfer),
        (status = 400, description = "bad amount, description or dates (a start in the past, an end before the start)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`mfa-step-up-required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "the source is not one of the caller's accounts", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`currency-mismatch`, `same-account`, `invalid-account-number`, `account-not-found`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/scheduled-transfers")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Json<ScheduleBody>,
) -> Result<HttpResponse, Error> {
    let ScheduleBody { from_account_id, to_account_number, amount, description, start_date, frequency, end_date } =
        body.into_inner();
    let request = money_request(amount, description)?;
    let new = NewSchedule {
        from_account_id,
        to_account_number,
        amount: request.amount,
        description: request.description,
        start_date,
        frequency,
        end_date,
    };
    let created = state.scheduled.create(&caller(&user, &peer), new).await?;
    let location = format!("/v1/scheduled-transfers/{}", created.id);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(created))
}

#[utoipa::path(
    operation_id = "list_scheduled_transfers",
    tag = "money",
    security(("bearer" = [])),
    responses((status = 200, description = "the caller's schedules, newest first, each with its occurrences", body = ScheduleList))
)]
#[get("/v1/scheduled-transfers")]
pub async fn list(state: web::Data<AppState>, user: AuthUser, peer: Peer) -> Result<HttpResponse, Error> {
    let items = state.scheduled.list(&caller(&user, &peer)).await?;
    Ok(HttpResponse::Ok().json(ScheduleList { items, next_cursor: None }))
}

#[utoipa::path(
    operation_id = "get_scheduled_transfer",
    tag = "money",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the schedule with its occurrences", body = ScheduledTransfer),
        (status = 404, description = "no such schedule of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/scheduled-transfers/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.scheduled.get(&caller(&user, &peer), *id).await?))
}

/// Cancels the schedule: no further occurrence runs.
#[utoipa::path(
    operation_id = "cancel_scheduled_transfer",
    tag = "money",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "cancelled"),
        (status = 404, description = "no such schedule of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/scheduled-transfers/{id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.scheduled.cancel(&caller(&user, &peer), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
