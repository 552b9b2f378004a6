//! The `tresor` command line (docs/api.md, operator contract).

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::identity::Role;
use crate::identity::fields::{Email, FullName};

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
    /// Account statements.
    #[command(subcommand)]
    Statements(StatementsCommand),
    /// User administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Key rings: add keys, rotate to them and re-encrypt data under the new ones.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The job queues: depth, recent failures and dead jobs; put dead jobs back.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Copy the SQLite database to a new file while the service runs (a consistent online
    /// backup); on PostgreSQL, says how to back it up instead.
    Backup(BackupArgs),
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Each queue's waiting, running and dead jobs, then the recent failures, newest first.
    List {
        /// Most failures shown.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
    },
    /// Put a dead job back on its queue (attempts reset, due now), or every dead job with `--dead`.
    Retry(RetryArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["id", "dead"])))]
pub struct RetryArgs {
    /// The dead job's id, as `tresor jobs list` shows it.
    #[arg(value_parser = parse_job_id)]
    pub id: Option<JobId>,
    /// Every dead job of every queue.
    #[arg(long)]
    pub dead: bool,
}

/// A job id: a ULID, 26 letters and digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobId(String);

impl JobId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn parse_job_id(raw: &str) -> Result<JobId, String> {
    if raw.len() == 26 && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(JobId(raw.to_ascii_uppercase()))
    } else {
        Err("must be a job id (26 letters and digits, as `tresor jobs list` shows)".to_owned())
    }
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist yet, and its folder must.
    #[arg(long)]
    pub to: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff or customer user whose email is already verified (the operator vouches).
    Create(CreateUser),
}

#[derive(Debug, Args)]
pub struct CreateUser {
    #[arg(long, value_parser = parse_email)]
    pub email: Email,
    #[arg(long, value_parser = parse_full_name)]
    pub full_name: FullName,
    /// customer, support, kyc_officer, auditor or admin; repeat for several.
    #[arg(long = "role", required = true, value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// Read the password from the first line of standard input; without it, a one-time
    /// set-password link is printed.
    #[arg(long)]
    pub password_stdin: bool,
}

fn parse_email(raw: &str) -> Result<Email, String> {
    Email::parse(raw)
}

fn parse_full_name(raw: &str) -> Result<FullName, String> {
    FullName::parse(raw)
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| "must be one of customer, support, kyc_officer, auditor, admin".to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Ring {
    Signing,
    Encryption,
    Mac,
}

impl Ring {
    pub fn name(self) -> &'static str {
        match self {
            Self::Signing => "signing",
            Self::Encryption => "encryption",
            Self::Mac => "mac",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new key to a ring (every ring when none is named), creating missing rings. The new
    /// key does not sign or seal yet: let every process load it (they re-read the rings every
    /// `keys.reload_secs`), then run `tresor keys rotate`.
    Generate {
        #[arg(long, value_enum)]
        ring: Option<Ring>,
    },
    /// Make the newest key of a ring active (every ring when none is named), then re-encrypt
    /// personal data and queued mail under the active encryption key and recompute blind
    /// indexes under the active MAC key, in batches, beside running servers. Old keys stay in
    /// the ring: tokens and ciphertexts made with them keep verifying and opening.
    Rotate {
        #[arg(long, value_enum)]
        ring: Option<Ring>,
        /// Rows per re-encryption transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
    },
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

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Reconcile the books: every entry sums to zero, every balance equals its postings; exit 1
    /// naming the first discrepancy.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum StatementsCommand {
    /// Build statements now: every customer account's (or one's) for a month. A month that
    /// includes today is built up to now and marked partial; complete statements are kept.
    Build(BuildStatements),
}

#[derive(Debug, Args)]
pub struct BuildStatements {
    /// The month, YYYY-MM (default: last month).
    #[arg(long)]
    pub period: Option<crate::statements::model::Period>,
    /// Only this account (its id).
    #[arg(long)]
    pub account: Option<uuid::Uuid>,
}
