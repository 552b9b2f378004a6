//! What each CLI command does once configuration is loaded.

mod admin;
mod backup;
mod jobs;
mod keys;
mod statements;

use std::process::ExitCode;

use crate::cli::{
    AdminCommand, AuditCommand, Cli, Command, JobsCommand, KeysCommand, LedgerCommand, StatementsCommand, WorkerArgs,
};
use crate::config::Config;
use crate::http::Application;
use crate::state::{connect, sqlite_file};
use crate::{audit, db, ledger};

pub async fn run(cli: Cli, config: Config) -> ExitCode {
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::Worker(args) => worker(config, args).await,
        Command::Audit(AuditCommand::Verify) => verify_audit(config).await,
        Command::Ledger(LedgerCommand::Verify) => verify_ledger(config).await,
        Command::Statements(StatementsCommand::Build(args)) => statements::build(config, args).await,
        Command::Admin(AdminCommand::Create(args)) => admin::create(config, args).await,
        Command::Keys(KeysCommand::Generate { ring }) => keys::generate(&config, ring),
        Command::Keys(KeysCommand::Rotate { ring, batch_size }) => keys::rotate(config, ring, batch_size).await,
        Command::Jobs(JobsCommand::List { limit }) => jobs::list(config, limit).await,
        Command::Jobs(JobsCommand::Retry(args)) => jobs::retry(config, args).await,
        Command::Backup(args) => backup::run(config, args).await,
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "command failed");
            eprintln!("tresor: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until SIGTERM / SIGINT; then the HTTP server and the embedded job workers drain
/// together (each within its shutdown timeout), inside the runtime.
async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let stop = stop_signal();
    let app = Application::build(config).await?;
    let workers = crate::worker::embedded::start(&crate::worker::Handlers::of(&app.state()))?;
    let drain = async move {
        if let Some(workers) = workers {
            workers.stop().await;
        }
    };
    app.run_until(stop, drain).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn worker(config: Config, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    if let Some(unknown) = args.queues.iter().find(|q| !tresor_jobs::queues::ALL.contains(&q.trim())) {
        eprintln!("tresor: --queues: {unknown:?} is not a job type (known: {})", tresor_jobs::queues::ALL.join(", "));
        return Ok(ExitCode::from(2));
    }
    let stop = stop_signal();
    let handlers = crate::worker::Handlers::build(config).await?;
    let plan = tresor_jobs::worker::Plan { queues: args.queues, schedules: true };
    crate::worker::run(&handlers, plan, stop).await?;
    handlers.db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (what a process manager sends) or SIGINT (Ctrl-C). SIGTERM is caught from the moment
/// this is called, not from the first poll: a process manager may signal while the server is
/// still starting, and the default action would kill it mid-start.
fn stop_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        match term {
            Some(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("stop signal received; finishing in-flight jobs");
    }
}

async fn migrate(config: Config) -> anyhow::Result<ExitCode> {
    let database = connect(&config).await?;
    db::migrate(&database, sqlite_file(&config)).await?;
    database.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn verify_audit(config: Config) -> anyhow::Result<ExitCode> {
    let database = connect(&config).await?;
    let report = audit::Audit::new(database.clone()).verify().await?;
    database.close().await;
    if report.ok {
        println!("audit chain ok: {} entries checked", report.checked);
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "audit chain broken at entry {}: {} ({} entries before it are intact)",
            report.first_bad_id.as_deref().unwrap_or("?"),
            report.problem.as_deref().unwrap_or("unknown problem"),
            report.checked
        );
        Ok(ExitCode::FAILURE)
    }
}

async fn verify_ledger(config: Config) -> anyhow::Result<ExitCode> {
    let database = connect(&config).await?;
    let report = ledger::verify::verify(&database).await?;
    database.close().await;
    match report.problem {
        None => {
            println!("ledger ok: {} entries and {} accounts reconcile", report.entries, report.accounts);
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            println!("ledger does not reconcile: {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}
