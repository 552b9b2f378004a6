//! The app factory and the server around it.

use std::net::TcpListener;
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
use super::docs::{self, ApiDoc};
use super::known_routes::KnownRoutes;
use super::middleware::admission::{Admission, admit};
use super::middleware::{edge::edge, edge::refused, metrics, request_span::RequestSpan};
use super::{
    accounts, admin, auth, authz, card_network, cards, console, documents, events, exports, extract, files, health,
    holds, identities, jwks, kyc, me, mfa, oidc, ops, pages, passkeys, passwords, problems, registration,
    scheduled_transfers, sessions, statements, transfers,
};
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
    let admission = web::Data::new(admission_of(&state));
    build_app_with(state, admission)
}

/// The process's one admission state (requests in flight, body timeout), built from its settings.
fn admission_of(state: &AppState) -> Admission {
    let server = &state.config.settings.server;
    Admission::new(server.max_in_flight, Duration::from_secs(server.body_timeout_secs))
}

/// [`build_app`] sharing `admission` with the other HTTP workers of the process.
pub fn build_app_with(
    state: web::Data<AppState>,
    admission: web::Data<Admission>,
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
    let public_metrics = state.config.metrics_bind().is_none();
    let app = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(extract::json_config(server.json_limit_bytes))
        .app_data(extract::payload_config(server.json_limit_bytes))
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(state.clone())
        .app_data(web::Data::new(BrowserSessions::new(&state.config)))
        .app_data(admission)
        .service(health::live)
        .service(health::ready);
    // With `[metrics] bind` set, /metrics is served on that private address only (ops::serve_metrics).
    let app = if public_metrics { app.service(ops::metrics) } else { app };
    let (app, mut openapi) = app
        .service(registration::register)
        .service(registration::verify_email)
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(sessions::list)
        .service(sessions::revoke)
        .service(jwks::jwks)
        .service(passwords::forgot)
        .service(passwords::reset)
        .service(passwords::accept_invite)
        .service(me::get_me)
        .service(me::update_me)
        .service(me::delete_me)
        .service(me::change_password)
        .service(me::export_me)
        .service(me::export_me_alias)
        .service(exports::download_export)
        .service(accounts::open)
        .service(accounts::list)
        .service(accounts::get)
        .service(accounts::deposit)
        .service(accounts::withdraw)
        .service(accounts::transactions)
        .service(accounts::transaction)
        .service(transfers::create)
        .service(documents::upload)
        .service(documents::list)
        .service(documents::get)
        .service(documents::versions)
        .service(documents::link)
        .service(files::download)
        .service(kyc::submit)
        .service(kyc::status)
        .service(authz::check)
        .service(mfa::login)
        .service(mfa::setup)
        .service(mfa::enable)
        .service(mfa::disable)
        .service(mfa::regenerate_backup_codes)
        .service(mfa::step_up)
        .service(mfa::passkey_step::start)
        .service(mfa::passkey_step::finish)
        .service(passkeys::register_start)
        .service(passkeys::register_finish)
        .service(passkeys::list)
        .service(passkeys::remove)
        .service(passkeys::step_up_start)
        .service(passkeys::step_up_finish)
        .service(passkeys::sign_in_start)
        .service(passkeys::sign_in_finish)
        .service(admin::users::create)
        .service(admin::users::list)
        .service(admin::users::get_one)
        .service(admin::users::lock)
        .service(admin::users::unlock)
        .service(admin::users::set_roles)
        .service(admin::users::grant)
        .service(admin::users::revoke)
        .service(admin::records::audit_logs)
        .service(admin::records::audit_verify)
        .service(admin::records::security_events)
        .service(admin::records::notifications)
        .service(admin::records::stats)
        .service(admin::records::jobs)
        .service(admin::kyc::queue)
        .service(admin::kyc::review)
        .service(admin::kyc::document_link)
        .service(admin::exports::audit_export)
        .service(admin::exports::export)
        .service(admin::records::acknowledge_notification)
        .service(admin::accounts::list)
        .service(admin::accounts::get_one)
        .service(admin::accounts::transactions)
        .service(admin::accounts::freeze)
        .service(admin::accounts::unfreeze)
        .service(admin::accounts::close)
        .service(admin::approvals::reverse)
        .service(admin::approvals::mfa_reset)
        .service(admin::approvals::list)
        .service(admin::approvals::approve)
        .service(admin::approvals::reject)
        .service(admin::cases::list)
        .service(admin::cases::get_one)
        .service(admin::cases::assign)
        .service(admin::cases::add_note)
        .service(admin::cases::resolve)
        .service(admin::identity::declared)
        .service(pages::links::verify_email_page)
        .service(pages::links::verify_email_form)
        .service(pages::links::reset_password_page)
        .service(pages::links::reset_password_form)
        .service(pages::links::accept_invite_page)
        .service(pages::links::accept_invite_form)
        .service(pages::assets::css)
        .service(pages::assets::js)
        .service(admin::records::retry_job)
        .service(console::assets::css)
        .service(console::sign_in::page)
        .service(console::sign_in::password)
        .service(console::sign_in::code)
        .service(console::sign_in::sign_out)
        .service(console::enrol::page)
        .service(console::enrol::setup)
        .service(console::enrol::enable)
        .service(console::dashboard::show)
        .service(console::kyc::queue)
        .service(console::kyc::submission)
        .service(console::kyc::review)
        .service(console::users::list)
        .service(console::users::detail)
        .service(console::users::lock)
        .service(console::users::unlock)
        .service(console::users::roles)
        .service(console::users::grant)
        .service(console::users::revoke)
        .service(console::users::mfa_reset)
        .service(console::accounts::list)
        .service(console::accounts::detail)
        .service(console::accounts::freeze)
        .service(console::accounts::unfreeze)
        .service(console::accounts::close)
        .service(console::accounts::reverse)
        .service(console::approvals::list)
        .service(console::approvals::approve)
        .service(console::approvals::reject)
        .service(console::cases::list)
        .service(console::cases::detail)
        .service(console::cases::take)
        .service(console::cases::add_note)
        .service(console::cases::resolve)
        .service(console::records::audit)
        .service(console::records::verify)
        .service(console::records::export)
        .service(console::records::export_status)
        .service(console::records::security_events)
        .service(console::records::jobs)
        .service(console::records::retry)
        .service(console::webhooks::list)
        .service(console::webhooks::create)
        .service(console::webhooks::detail)
        .service(console::webhooks::update)
        .service(console::webhooks::set_enabled)
        .service(console::webhooks::rotate_secret)
        .service(console::webhooks::delete)
        .service(console::webhooks::redeliver)
        .service(pages::passkeys::page)
        .service(pages::passkeys::js)
        .service(oidc::start)
        .service(oidc::callback)
        .service(oidc::link)
        .service(identities::list)
        .service(identities::link)
        .service(identities::unlink)
        .service(admin::webhooks::create)
        .service(admin::webhooks::list)
        .service(admin::webhooks::get_one)
        .service(admin::webhooks::update)
        .service(admin::webhooks::remove)
        .service(admin::webhooks::rotate_secret)
        .service(admin::webhooks::deliveries)
        .service(admin::webhooks::redeliver)
        .service(events::stream)
        .service(holds::list)
        .service(cards::issue)
        .service(cards::list)
        .service(cards::get)
        .service(cards::freeze)
        .service(cards::unfreeze)
        .service(cards::close)
        .service(card_network::authorize)
        .service(card_network::capture)
        .service(card_network::release)
        .service(card_network::refund)
        .service(scheduled_transfers::create)
        .service(scheduled_transfers::list)
        .service(scheduled_transfers::get)
        .service(scheduled_transfers::cancel)
        .service(statements::list)
        .service(statements::link)
        .service(statements::download)
        .split_for_parts();
    docs::complete(&mut openapi);
    docs::deprecate(&mut openapi, &me::DEPRECATED);
    let known_routes = web::Data::new(KnownRoutes::from_openapi(&openapi));
    app.app_data(known_routes)
        .configure(docs::routes(openapi))
        .default_service(web::to(unknown_route))
        .wrap(Condition::new(!cors_origins.is_empty(), cors(&cors_origins)))
        .wrap(from_fn(admit))
        .wrap(from_fn(metrics::record))
        .wrap(TracingLogger::<RequestSpan>::new())
        .wrap(from_fn(edge))
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
        let admission = web::Data::new(admission_of(&state));
        let data = web::Data::new(state);
        let factory_data = data.clone();
        let server = HttpServer::new(move || build_app_with(factory_data.clone(), admission.clone()))
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
