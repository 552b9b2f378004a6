//! `tresor statements build [--period YYYY-MM] [--account ID]`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::BuildStatements;
use crate::config::Config;
use crate::crypto::Keys;
use crate::statements::model::Period;

pub async fn build(config: Config, args: BuildStatements) -> anyhow::Result<ExitCode> {
    let keys = Arc::new(Keys::load(&config.keys_dir, !config.env.is_production())?);
    let db = crate::state::connect(&config).await?;
    crate::db::migrate(&db, crate::state::sqlite_file(&config)).await?;
    let jobs = crate::queue::store(&config, &db)?;
    let statements = crate::state::statements(&config, &db, &keys, &jobs);
    let now = crate::db::time::now();
    let period = args.period.unwrap_or_else(|| Period::of(now).previous());
    let built = statements.build(period, args.account, now).await?;
    db.close().await;
    let partial = if period.end() > now { " (partial: the month has not ended)" } else { "" };
    println!("statements {period}{partial}: {} built, {} already complete", built.written, built.kept);
    Ok(ExitCode::SUCCESS)
}
