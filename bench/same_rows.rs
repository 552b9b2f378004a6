//! The same-rows limit of the ledger benchmark (`bench/same_rows.sh`, `bench/all.sh`): the rows
//! a transfer writes, written as fast as this machine and database allow, with no HTTP in front.
//!
//! It drives tresor's own committer (`LedgerStore::attempt`) — the same statements, schema,
//! indexes, triggers and outbox rows as a transfer over HTTP — and feeds it straight from
//! memory: every transaction carries a full batch (`BATCH` transfers of distinct accounts for
//! `uniform`, `BATCH` transfers of the one account for `hot`), each with its idempotency key,
//! the account snapshots kept between commits as the actors keep them. What it leaves out is
//! what tresor adds in front of the database: HTTP, token checks, the actors' mailboxes and the
//! wait for a batch to fill.
//!
//! Configured like `tresor serve` (the environment of `bench/ledger_env.sh` and
//! `DATABASE_URL`); arguments: `WORKLOAD` (`hot` | `uniform`), `ACCOUNTS`, `SECONDS`, `BATCH`,
//! `LABEL`. Prints one JSON line like `tresor-load`'s.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use rand::RngExt;
use tresor::audit::Actor;
use tresor::authz::StepUpRule;
use tresor::crypto::Keys;
use tresor::ledger::account::{Account, AccountKind};
use tresor::ledger::command::{Command, Movement};
use tresor::ledger::commit::{Job, LedgerStore};
use tresor::ledger::idempotency;
use tresor::ledger::money::{Amount, Currency};
use tresor::ledger::plan::Snapshot;
use tresor::ledger::service::{Caller, Ledger, MoneyRequest};
use tresor::read_cache::Changes;
use uuid::Uuid;

/// The server's allocator (`src/main.rs`), so that the limit is not slower for the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each account's opening deposit (the largest one deposit may be); the hot account gets
/// `HOT_DEPOSITS` of them: more than the transfers of a run can move.
const FUNDS: i64 = 10_000_000;
const HOT_DEPOSITS: usize = 20;

struct Args {
    hot: bool,
    accounts: usize,
    seconds: u64,
    batch: usize,
    label: String,
}

fn args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mut next = |name: &str| args.next().with_context(|| format!("missing argument {name}"));
    let workload = next("WORKLOAD")?;
    Ok(Args {
        hot: match workload.as_str() {
            "hot" => true,
            "uniform" => false,
            other => anyhow::bail!("WORKLOAD is hot or uniform, not {other}"),
        },
        accounts: next("ACCOUNTS")?.parse()?,
        seconds: next("SECONDS")?.parse()?,
        batch: next("BATCH")?.parse()?,
        label: next("LABEL")?,
    })
}

struct Funded {
    caller: Caller,
    account: Account,
}

/// `count` accounts of as many customers, each funded, opened through the ledger's service.
async fn seed(ledger: &Ledger, count: usize) -> anyhow::Result<Vec<Funded>> {
    let usd: Currency = "USD".parse().map_err(anyhow::Error::msg)?;
    let one = |index| async move {
        let caller = Caller { user_id: Uuid::now_v7(), session_id: Uuid::now_v7(), actor: Actor::system() };
        let account = ledger.open(&caller, AccountKind::Checking, usd).await?;
        for _ in 0..if index == 0 { HOT_DEPOSITS } else { 1 } {
            let funds = MoneyRequest { amount: Amount::new(FUNDS).map_err(anyhow::Error::msg)?, description: None };
            let deposited = ledger.deposit(&caller, account.id, funds, None).await?;
            anyhow::ensure!(deposited.status == 201, "an opening deposit answered {}", deposited.status);
        }
        Ok::<_, anyhow::Error>(Funded { caller, account })
    };
    futures::stream::iter(0..count).map(one).buffer_unordered(16).collect::<Vec<_>>().await.into_iter().collect()
}

/// A transfer as `POST /v1/transfers` hands it to the source account's actor.
fn transfer(from: &Funded, to: &Funded, amount: i64) -> anyhow::Result<Command> {
    let body = serde_json::json!({"from_account_id": from.account.id, "to_account_number": to.account.number.to_string(), "amount": amount});
    let key = Uuid::new_v4().to_string();
    Ok(Command {
        movement: Movement::Transfer,
        amount: Amount::new(amount).map_err(anyhow::Error::msg)?,
        currency: to.account.currency,
        counter_account: to.account.id,
        counter_number: Some(to.account.number.to_string()),
        description: None,
        initiated_by: from.caller.user_id,
        idempotency: Some(idempotency::scoped(from.caller.user_id, &key, "POST", "/v1/transfers", &body)),
        actor: from.caller.actor.clone(),
        reverses: None,
        hold: None,
    })
}

/// The accounts of one transaction: `batch` distinct random ones, or the hot one `batch` times.
fn sources(args: &Args, rng: &mut impl rand::Rng) -> Vec<(usize, usize)> {
    if args.hot {
        return vec![(0, args.batch)];
    }
    rand::seq::index::sample(rng, args.accounts, args.batch.min(args.accounts)).into_iter().map(|i| (i, 1)).collect()
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let config = tresor::config::load()?;
    let keys = Arc::new(Keys::load(&config.keys_dir, !config.env.is_production())?);
    let db = tresor::state::connect(&config).await?;
    tresor::db::migrate(&db, tresor::state::sqlite_file(&config)).await?;
    let settings = config.settings.ledger.clone();
    let reads = Arc::new(Changes::local_only());
    let step_up = Arc::new(StepUpRule::new(db.clone(), config.settings.mfa.step_up_minutes));
    let ledger = Ledger::start(db.clone(), settings.clone(), keys.clone(), step_up, reads.clone());
    let accounts = seed(&ledger, args.accounts).await?;
    let store = LedgerStore::new(db.clone(), settings, keys, reads);
    eprintln!("seeded {} funded accounts; writing for {} s", accounts.len(), args.seconds);

    let mut kept: HashMap<Uuid, Snapshot> = HashMap::new();
    let (mut transfers, mut transactions, mut stale) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    while Instant::now() < deadline {
        let jobs = {
            let mut rng = rand::rng();
            let mut jobs = Vec::new();
            for (from, count) in sources(&args, &mut rng) {
                let mut batch = Vec::with_capacity(count);
                for _ in 0..count {
                    let mut to = rng.random_range(0..args.accounts - 1);
                    if to >= from {
                        to += 1;
                    }
                    batch.push(transfer(&accounts[from], &accounts[to], rng.random_range(1..100))?);
                }
                let account = accounts[from].account.id;
                jobs.push(Job { account, cached: kept.remove(&account), batch });
            }
            jobs
        };
        transactions += 1;
        match store.attempt(&jobs).await {
            Ok(results) => {
                for (job, result) in jobs.iter().zip(results) {
                    let Some(committed) = result else {
                        stale += 1;
                        continue;
                    };
                    let created = committed.outcomes.iter().filter(|o| o.as_ref().is_ok_and(|o| o.status == 201));
                    transfers += created.count() as u64;
                    if let Some(snapshot) = committed.snapshot {
                        kept.insert(job.account, snapshot);
                    }
                }
            }
            Err(_) => stale += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "label": args.label,
        "workload": if args.hot { "hot" } else { "uniform" },
        "accounts": args.accounts,
        "batch": args.batch,
        "seconds": seconds,
        "transactions": transactions,
        "stale": stale,
        "transfers_per_second": transfers as f64 / seconds,
    });
    println!("{report}");
    Ok(())
}
