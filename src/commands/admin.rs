//! `tresor admin create`. Builds only what creating a user needs — the database, the keys, the
//! job queue (for mail) and the identity capability — and no ledger actors or document store.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use secrecy::SecretString;

use crate::audit::Actor;
use crate::cli::CreateUser;
use crate::config::Config;
use crate::crypto::Keys;
use crate::error::Error;
use crate::identity::users::ProvisionedUser;
use crate::redis::RedisHandle;
use crate::state::{connect, sqlite_file};

pub async fn create(config: Config, args: CreateUser) -> anyhow::Result<ExitCode> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        zeroize::Zeroize::zeroize(&mut line);
        Some(SecretString::from(password))
    } else {
        None
    };
    let keys = Arc::new(Keys::load(&config.keys_dir, !config.env.is_production())?);
    let db = connect(&config).await?;
    crate::db::migrate(&db, sqlite_file(&config)).await?;
    let redis = RedisHandle::of(&config).context("REDIS_URL is invalid")?;
    let jobs = crate::queue::store(&config, &db)?;
    let reads = Arc::new(crate::read_cache::Changes::configured(&config, redis.clone()));
    let (_sessions, identity) = crate::identity::build(&config, &db, &keys, &jobs, redis, reads)?;
    let user = ProvisionedUser {
        email: args.email.clone(),
        full_name: args.full_name,
        roles: args.roles,
        invite_by_email: false,
    };
    let outcome = identity.create_user(user, password, &Actor::system()).await;
    db.close().await;
    match outcome {
        Ok(created) => {
            println!("created user {} <{}>", created.user_id, args.email.as_str());
            if let Some(link) = created.invite_link {
                let hours = identity.invite_hours();
                println!("one-time set-password link (valid {hours} h):");
                println!("{}", secrecy::ExposeSecret::expose_secret(&link));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Rejected(problem)) => {
            let details: Vec<String> =
                problem.errors.iter().map(|(field, messages)| format!("{field} {}", messages.join("; "))).collect();
            let detail = if details.is_empty() { problem.detail } else { details.join(", ") };
            eprintln!("tresor: {detail}");
            Ok(if problem.status == 409 { ExitCode::FAILURE } else { ExitCode::from(2) })
        }
        Err(Error::Internal(error)) => Err(error),
    }
}
