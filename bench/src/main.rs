//! `tresor-load`: seeds a running tresor server through its public API and drives a load
//! against it, reporting throughput and latency percentiles. The server runs as it would in
//! production (release build, its own process); this tool only speaks HTTP to it, except for
//! the two operator steps the API does not offer: creating users (`tresor admin create`) and
//! marking them KYC-approved (one SQL statement), since document review is not what is measured.

mod client;
mod report;
mod run;
mod seed;

use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// Transfers between random accounts.
    Uniform,
    /// Every transfer leaves one account (the one whose debits must serialize).
    Hot,
    /// Card authorizations (holds) on one card: the hot account's actor decides every one.
    CardHot,
    /// Card authorizations on random cards, one per account.
    CardUniform,
}

impl Workload {
    pub fn cards(self) -> bool {
        matches!(self, Self::CardHot | Self::CardUniform)
    }

    /// Whether every request leaves the first account.
    pub fn hot(self) -> bool {
        matches!(self, Self::Hot | Self::CardHot)
    }
}

#[derive(Debug, Parser)]
#[command(name = "tresor-load", about = "Load generator for a running tresor server")]
pub struct Args {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base_url: String,
    /// The server's database (to mark seeded users KYC-approved).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The `tresor` binary, run with this process's environment to create users.
    #[arg(long, default_value = "target/release/tresor")]
    pub tresor: String,
    /// Users to create; accounts are spread over them.
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    #[arg(long, default_value_t = 1000)]
    pub accounts: usize,
    #[arg(long, value_enum, default_value_t = Workload::Uniform)]
    pub workload: Workload,
    /// Requests in flight at once (one connection each).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds of measured load, after a warm-up of a tenth of it.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Threads the load generator may use (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// The card network's key (`[cards] network_api_key`) for the card workloads.
    #[arg(long, env = "TRESOR__CARDS__NETWORK_API_KEY", default_value = "")]
    pub network_key: String,
    /// A label for the report line.
    #[arg(long, default_value = "run")]
    pub label: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads.max(1)).enable_all().build()?;
    runtime.block_on(async {
        let client = client::Api::new(&args.base_url, args.concurrency, &args.network_key)?;
        let world = seed::seed(&args, &client).await?;
        let warmup = Duration::from_secs((args.duration / 10).max(1));
        run::drive(&args, &client, &world, warmup).await?;
        let stats = run::drive(&args, &client, &world, Duration::from_secs(args.duration)).await?;
        report::print(&args, &stats);
        Ok(())
    })
}
