//! The app factory and the server around it.

use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Condition, from_fn};
use actix_web::rt::task::JoinHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use super::browser_session::BrowserSessions;
use super::docs::{self, ApiDoc, Described};
use super::known_routes::KnownRoutes;
use super::middleware::admission::{Admission, admit};
use super::middleware::{edge::edge, edge::refused, metrics, request_span::RequestSpan};
use super::{extract, me, ops, problems, routes};
use crate::error::{Error, Kind, Problem};
use crate::state::AppState;

/// Builds the application: routes, extractor configuration and middleware. The server and the
/// tests both use this, so what is tested is what runs.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let shared = SharedByWorkers::of(&state);
    build_app_with(state, shared)
}

/// What the HTTP workers of one process share: the admission state (requests in flight, body
/// timeout) and the API description, which the first worker to build its routes describes.
#[derive(Clone)]
pub struct SharedByWorkers {
    admission: web::Data<Admission>,
    described: Arc<OnceLock<Described>>,
}

impl SharedByWorkers {
    pub fn of(state: &AppState) -> Self {
        let server = &state.config.settings.server;
        let admission = Admission::new(server.max_in_flight, Duration::from_secs(server.body_timeout_secs));
        Self { admission: web::Data::new(admission), described: Arc::default() }
    }
}

/// [`build_app`] as one of the process's HTTP workers, sharing what they share.
pub fn build_app_with(
    state: web::Data<AppState>,
    shared: SharedByWorkers,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let server = &state.config.settings.server;
    let cors_origins = server.cors_origins.clone();
    let described = shared.described.get_or_init(|| describe(&state));
    let app = App::new()
        .app_data(extract::json_config(server.json_limit_bytes))
        .app_data(extract::payload_config(server.json_limit_bytes))
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(state.clone())
        .app_data(web::Data::new(BrowserSessions::new(&state.config)))
        .app_data(shared.admission.clone());
    routes::all(app, state.config.metrics_bind().is_none())
        .app_data(described.known.clone())
        .configure(docs::routes(described))
        .default_service(web::to(unknown_route))
        .wrap(Condition::new(!cors_origins.is_empty(), cors(&cors_origins)))
        .wrap(from_fn(admit))
        .wrap(from_fn(metrics::record))
        .wrap(TracingLogger::<RequestSpan>::new())
        .wrap(from_fn(edge))
}

/// The API description: every route registered once on an app that collects their OpenAPI
/// paths (the app itself is dropped unused).
fn describe(state: &AppState) -> Described {
    let documented = App::new().into_utoipa_app().openapi(ApiDoc::openapi());
    let (_, openapi) = routes::all(documented, state.config.metrics_bind().is_none()).split_for_parts();
    Described::of(openapi, &me::DEPRECATED)
}

/// No route took the request: `405` with `Allow` when the path is known under other methods,
/// otherwise `404`.
async fn unknown_route(req: HttpRequest, known: web::Data<KnownRoutes>) -> Result<HttpResponse, Error> {
    let allowed = known.allowed(req.path());
    if allowed.is_empty() {
        let detail = format!("no resource at {} {}", req.method(), req.path());
        return Err(Problem::new(Kind::NotFound, "not-found", detail).into());
    }
    let allow = allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
    let detail = format!("{} does not answer {}; it answers {allow}", req.path(), req.method());
    let problem = Problem::new(Kind::MethodNotAllowed, "method-not-allowed", detail);
    // Answered here rather than as an error, to carry `Allow`; counted like every refusal.
    refused(&problem);
    let mut response = problems::response(&problem);
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(["authorization", "content-type", "idempotency-key", "x-request-id"])
        .expose_headers(["x-request-id", "idempotent-replayed", "retry-after", "location"])
        .max_age(600)
}

/// Re-reads the key rings every `every`, for as long as the server runs.
/// How often the server chains the audit entries its money movements staged (readers of the
/// chain link whatever is left first, so this bounds only how long an entry stays unchained).
const AUDIT_LINK_EVERY: Duration = Duration::from_millis(100);

async fn reload_keys(state: web::Data<AppState>, every: Duration) {
    let mut ticks = actix_web::rt::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(error) = state.reload_keys() {
            tracing::warn!(error = format!("{error:#}"), "could not reload the key rings; keeping the loaded ones");
        }
    }
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    linker: JoinHandle<()>,
    reload: Option<JoinHandle<()>>,
    /// The private `/metrics` server, when `[metrics] bind` is set.
    metrics: Option<(u16, Server)>,
}

impl Application {
    pub async fn build(config: crate::config::Config) -> anyhow::Result<Self> {
        Self::with_state(AppState::init(config).await?)
    }

    pub fn with_state(state: AppState) -> anyhow::Result<Self> {
        let bind = state.config.bind();
        let listener = TcpListener::bind(bind).with_context(|| format!("binding {bind}"))?;
        let port = listener.local_addr()?.port();
        let server_settings = &state.config.settings.server;
        let workers = match server_settings.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let shutdown = Duration::from_secs(server_settings.shutdown_timeout_secs);
        let shared = SharedByWorkers::of(&state);
        let data = web::Data::new(state);
        let factory_data = data.clone();
        let server = HttpServer::new(move || build_app_with(factory_data.clone(), shared.clone()))
            .listen(listener)?
            .workers(workers)
            .shutdown_timeout(shutdown.as_secs())
            // `run_until` handles SIGTERM / SIGINT: it stops the server and the job workers
            // together, inside the runtime.
            .disable_signals()
            .run();
        tracing::info!(%bind, port, workers, "listening");
        let reload = Duration::from_secs(data.config.settings.keys.reload_secs);
        let reload = (!reload.is_zero()).then(|| actix_web::rt::spawn(reload_keys(data.clone(), reload)));
        let linker = actix_web::rt::spawn(data.audit.clone().run_linker(AUDIT_LINK_EVERY));
        let metrics = match data.config.metrics_bind() {
            Some(bind) => Some(ops::serve_metrics(bind, data.clone())?),
            None => None,
        };
        Ok(Self { port, server, state: data, linker, reload, metrics })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the private `/metrics` server, when `[metrics] bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped (tests: never; it ends with the test's runtime).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending(), async {}).await
    }

    /// Serves until `stop` resolves (SIGTERM / SIGINT in `tresor serve`); then stops accepting,
    /// lets in-flight requests finish (up to `server.shutdown_timeout_secs`) while `drain` runs
    /// beside it (the embedded job workers finishing their jobs), links staged audit entries
    /// once more, and closes the database pools. All of it happens inside the runtime, so no
    /// connection, pool or task is dropped after the runtime has stopped.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()>,
        drain: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let Self { server, state, linker, reload, metrics, .. } = self;
        let metrics = metrics.map(|(_, server)| {
            let handle = server.handle();
            (handle, actix_web::rt::spawn(server))
        });
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let served = tokio::select! {
            served = &mut server => {
                drain.await;
                served
            }
            () = stop => {
                tracing::info!("stopping: finishing in-flight requests and jobs");
                // The server future carries the stop out: it is polled while the handle waits.
                let ((), served, ()) = tokio::join!(handle.stop(true), server, drain);
                served
            }
        };
        if let Some((handle, running)) = metrics {
            handle.stop(true).await;
            let _ = running.await;
        }
        for task in [Some(linker), reload].into_iter().flatten() {
            task.abort();
            let _ = task.await;
        }
        if let Err(error) = state.audit.link_pending().await {
            tracing::warn!(error = %error, "linking staged audit entries at shutdown failed; the next start links them");
        }
        state.db.close().await;
        served
    }
}
