//! The `tresor` command line (API.md, operator contract).

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tresor", version, about = "Secure retail-banking backend", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations if needed, then serve the HTTP API (the default command).
    Serve,
    /// Apply database migrations and exit (the Procfile `release:` step).
    Migrate,
    /// Run the background job workers (the Procfile `worker:` process) until SIGTERM.
    Worker(WorkerArgs),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Ledger tools.
    #[command(subcommand)]
    Ledger(LedgerCommand),
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Reconcile the books: every entry sums to zero, every balance equals its postings; exit 1
    /// naming the first discrepancy.
    Verify,
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Job types to run, comma-separated (send_email, expire_lockouts, cleanup, sweep); all by default.
    #[arg(long, value_delimiter = ',')]
    pub queues: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain; exit 1 naming the first bad entry if it was tampered with.
    Verify,
}

/// Parses the arguments. `--help` and `--version` print and exit 0; a bad flag is one line on
/// stderr and exit 2 (clap's default is several lines).
pub fn parse() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            std::process::exit(0)
        }
        Err(error) => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("tresor: {} (see `tresor --help`)", first.trim_start_matches("error: "));
            std::process::exit(2)
        }
    }
}
