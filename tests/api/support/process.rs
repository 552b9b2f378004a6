//! `tresor serve` and `tresor worker` as processes of their own, as an operator runs them:
//! stderr kept in a file to read afterwards, stopped with SIGTERM and waited for.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::identity::Running;

/// A running process and the file its stderr goes to.
pub struct Process {
    pub running: Running,
    pub log: PathBuf,
}

impl Process {
    /// Starts `command` with stderr appended to `log`.
    pub fn start(command: &mut Command, log: &Path) -> Self {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let child = command.stdout(Stdio::null()).stderr(Stdio::from(file)).spawn().expect("tresor starts");
        Self { running: Running(child), log: log.to_path_buf() }
    }

    pub fn pid(&self) -> u32 {
        self.running.0.id()
    }

    /// Sends SIGTERM, as a process manager does.
    pub fn terminate(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
        assert!(sent.success());
    }

    /// Whether it has exited, without waiting.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.running.0.try_wait().unwrap()
    }

    /// Waits for it to exit, at most `within`.
    pub async fn wait(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(Instant::now() < deadline, "pid {} did not exit within {within:?}", self.pid());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Waits until `base` answers `/health/ready` with 200, at most `within`.
pub async fn wait_ready(base: &str, within: Duration) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + within;
    loop {
        if client.get(format!("{base}/health/ready")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        assert!(Instant::now() < deadline, "{base} did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
