//! Liveness and readiness, for load balancers and orchestrators.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::error::{Kind, Problem};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `live` or `ready`.
    pub status: &'static str,
    /// Each dependency: `ok`, `failed` or `not configured`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Checks {
    pub database: &'static str,
    pub redis: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(tag = "operations", responses((status = 200, description = "the process runs", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "live", checks: None })
}

/// 200 when the database (and Redis, when configured) answer; otherwise 503 naming which failed.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "every dependency answers", body = Health),
        (status = 503, description = "a dependency failed; `detail` names it", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (database, redis) = futures::join!(state.db.ping(), state.redis_ping());
    let database_ok = database.inspect_err(|e| tracing::warn!(error = %e, "database is not ready")).is_ok();
    let redis_state = match redis {
        None => "not configured",
        Some(Ok(())) => "ok",
        Some(Err(ref e)) => {
            tracing::warn!(error = %e, "redis is not ready");
            "failed"
        }
    };
    let checks = Checks { database: if database_ok { "ok" } else { "failed" }, redis: redis_state };
    let failed: Vec<&str> = [("database", checks.database), ("redis", checks.redis)]
        .into_iter()
        .filter(|(_, status)| *status == "failed")
        .map(|(name, _)| name)
        .collect();
    if failed.is_empty() {
        return HttpResponse::Ok().json(Health { status: "ready", checks: Some(checks) });
    }
    let mut problem =
        Problem::new(Kind::Unavailable, "not-ready", format!("not ready: {} not answering", failed.join(" and ")))
            .with_retry_after(5);
    for name in failed {
        problem.errors.insert(name.to_owned(), vec!["not answering".to_owned()]);
    }
    crate::http::problems::response(&problem)
}
