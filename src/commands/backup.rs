//! `tresor backup --to PATH`: a consistent copy of the SQLite database while the service keeps
//! serving (`VACUUM INTO` reads one snapshot of the WAL database and writes a compact copy; it
//! never blocks the writer). On PostgreSQL the database's own tools do this better, and the
//! command says which.

use std::path::Path;
use std::process::ExitCode;

use secrecy::ExposeSecret;
use sqlx::{AnyConnection, Connection};

use crate::cli::BackupArgs;
use crate::config::{Config, sqlite_path};

pub async fn run(config: Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let url = config.database_url.expose_secret().to_owned();
    let Some(source) = sqlite_path(&url) else {
        eprintln!(
            "tresor: backup copies SQLite databases; for PostgreSQL use `pg_dump --format=custom` for a \
             logical copy or continuous WAL archiving (point-in-time recovery) with your provider's \
             snapshots, and keep the keys folder ({}) with them",
            config.keys_dir.display()
        );
        return Ok(ExitCode::FAILURE);
    };
    if let Some(problem) = unusable_target(&args.to) {
        eprintln!("tresor: --to {}: {problem}", args.to.display());
        return Ok(ExitCode::from(2));
    }
    if !source.exists() {
        eprintln!("tresor: there is no database at {} to back up", source.display());
        return Ok(ExitCode::FAILURE);
    }
    sqlx::any::install_default_drivers();
    // Read-only: the copy is one read transaction of the live database, whatever writes beside it.
    let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=ro", source.display())).await?;
    let target = args.to.to_string_lossy().into_owned();
    sqlx::query("VACUUM INTO $1").bind(&target).execute(&mut conn).await?;
    conn.close().await?;
    let bytes = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    println!("backup of {} written to {} ({bytes} bytes)", source.display(), args.to.display());
    println!(
        "keep the keys folder ({}) with it: without those keys the personal data and documents it \
         protects cannot be read",
        config.keys_dir.display()
    );
    println!("documents are files beside the database (or in the S3 bucket): copy them too");
    Ok(ExitCode::SUCCESS)
}

/// Why `to` cannot receive a backup, if it cannot.
fn unusable_target(to: &Path) -> Option<&'static str> {
    if to.as_os_str().is_empty() {
        return Some("a file path is needed");
    }
    if to.exists() {
        return Some("already exists; choose a new file (a backup never overwrites)");
    }
    let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Some("its folder does not exist");
    }
    None
}
