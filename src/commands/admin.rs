//! `tresor admin create`.

use std::io::BufRead;
use std::process::ExitCode;

use secrecy::SecretString;

use crate::audit::Actor;
use crate::cli::CreateUser;
use crate::config::Config;
use crate::error::ApiError;
use crate::identity::service::accounts::{self, NewAccount};
use crate::state::AppState;

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
    let state = AppState::init(config).await?;
    let account =
        NewAccount { email: args.email.clone(), full_name: args.full_name, roles: args.roles, invite_by_email: false };
    let outcome = accounts::create(&state, account, password, &Actor::system()).await;
    state.db.close().await;
    match outcome {
        Ok(created) => {
            println!("created user {} <{}>", created.user_id, args.email.as_str());
            if let Some(link) = created.invite_link {
                let hours = state.config.settings.identity.invite_hours;
                println!("one-time set-password link (valid {hours} h):");
                println!("{}", secrecy::ExposeSecret::expose_secret(&link));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ApiError::Problem(problem)) => {
            let details: Vec<String> =
                problem.errors.iter().map(|(field, messages)| format!("{field} {}", messages.join("; "))).collect();
            let detail = if details.is_empty() { problem.detail } else { details.join(", ") };
            eprintln!("tresor: {detail}");
            Ok(if problem.status == 409 { ExitCode::FAILURE } else { ExitCode::from(2) })
        }
        Err(ApiError::Internal(error)) => Err(error),
    }
}
