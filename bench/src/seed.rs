//! Users, tokens and funded accounts for the load.

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use tokio::io::AsyncWriteExt;

use crate::Args;
use crate::client::{Api, Card};

pub struct Account {
    pub id: String,
    pub number: String,
    /// Index into `World::tokens`.
    pub owner: usize,
    /// Its card, for the card workloads.
    pub card: Option<Card>,
}

pub struct World {
    pub tokens: Vec<String>,
    pub accounts: Vec<Account>,
}

const PASSWORD: &str = "quartz violin harbour sunrise 1987";
const FUNDS: i64 = 5_000_000;

fn email(run: &str, user: usize) -> String {
    format!("load-{run}-{user}@bench.invalid")
}

async fn create_user(tresor: &str, email: &str) -> anyhow::Result<()> {
    let mut child = tokio::process::Command::new(tresor)
        .args([
            "admin",
            "create",
            "--email",
            email,
            "--full-name",
            "Load Test",
            "--role",
            "customer",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("running {tresor}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(PASSWORD.as_bytes()).await?;
    }
    let status = child.wait().await?;
    if !status.success() {
        bail!("tresor admin create failed for {email}: {status}");
    }
    Ok(())
}

pub async fn seed(args: &Args, api: &Api) -> anyhow::Result<World> {
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let emails: Vec<String> = (0..args.users).map(|u| email(&run, u)).collect();
    for email in &emails {
        create_user(&args.tresor, email).await?;
    }
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&args.database_url).await.context("connecting to the server's database")?;
    let pattern = format!("load-{run}-%");
    sqlx::query("UPDATE users SET kyc_status = 'approved' WHERE email LIKE $1").bind(pattern).execute(&db).await?;
    db.close().await;

    let mut tokens = Vec::with_capacity(emails.len());
    for email in &emails {
        tokens.push(api.login(email, PASSWORD).await?);
    }
    let owners: Vec<usize> = (0..args.accounts).map(|i| i % args.users).collect();
    let cards = args.workload.cards();
    let opened: Vec<anyhow::Result<Account>> = stream::iter(owners)
        .map(|owner| {
            let token = tokens[owner].clone();
            async move {
                let (id, number) = api.open_account(&token).await?;
                api.deposit(&token, &id, FUNDS).await?;
                let card = if cards { Some(api.issue_card(&token, &id).await?) } else { None };
                Ok(Account { id, number, owner, card })
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let accounts = opened.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    eprintln!("seeded {} users and {} funded accounts", tokens.len(), accounts.len());
    Ok(World { tokens, accounts })
}
