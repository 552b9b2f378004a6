//! Queues, workers and an SMTP server for the job tests; `start_workers` and `eventually` also
//! serve the tests that run the job worker next to the endpoints (documents, KYC).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tresor_jobs::Store;
use tresor_jobs::failure::RetryPolicy;
use tresor_jobs::settings::{Backend, JobSettings, QueueSettings, Schedule};
use tresor_jobs::store::SqlDatabase;
use tresor_jobs::worker::{Plan, Registry};

use crate::support::{TestApp, redis_url};

/// The storages this run can test: the test database always, Redis when configured.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Database];
    if redis_url().is_some() {
        backends.push(Backend::Redis);
    }
    backends
}

pub fn quick_retry(max_attempts: usize, base_ms: u64) -> RetryPolicy {
    RetryPolicy { max_attempts, base: Duration::from_millis(base_ms), max: Duration::from_secs(5), jitter: 0.0 }
}

/// Settings for a test: fast polling and heartbeats, the given queues, no schedules.
pub fn settings(backend: Backend, queues: &[(&'static str, RetryPolicy)]) -> JobSettings {
    let queues: BTreeMap<_, _> = queues
        .iter()
        .map(|(name, retry)| (*name, QueueSettings { concurrency: 4, batch_size: 10, retry: *retry }))
        .collect();
    JobSettings {
        backend,
        namespace: format!("tresor_test_{}", uuid::Uuid::new_v4().simple()),
        poll_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_secs(1),
        missed_heartbeats: 2,
        shutdown_timeout: Duration::from_secs(5),
        idempotency_ttl: Duration::from_secs(3600),
        queues,
        schedules: Vec::<Schedule>::new(),
    }
}

/// A store on the test app's database (or on Redis) with `settings`.
pub fn store(app: &TestApp, settings: JobSettings) -> Store {
    match settings.backend {
        Backend::Database => {
            let db = &app.state.db;
            let sql = SqlDatabase::new(&app.database.url, db.writer().clone(), db.reader().clone());
            Store::sql(sql, settings)
        }
        Backend::Redis => {
            let root = crate::support::redis_ca_file().map(|file| std::fs::read(file).expect("TEST_REDIS_CA_FILE"));
            Store::redis_with_root(&redis_url().unwrap(), root, settings).unwrap()
        }
    }
}

/// Workers running in this test's process until dropped or stopped.
pub struct RunningWorkers {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::sync::oneshot::Receiver<()>>,
}

pub fn start_workers(store: &Store, registry: Registry, schedules: bool) -> RunningWorkers {
    start_queue_workers(store, registry, schedules, &[])
}

/// Workers for `queues` only (empty: every queue the registry knows).
pub fn start_queue_workers(store: &Store, registry: Registry, schedules: bool, queues: &[&str]) -> RunningWorkers {
    let queues: Vec<String> = queues.iter().map(|q| (*q).to_owned()).collect();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
    let store = store.clone();
    actix_web::rt::spawn(async move {
        let plan = Plan { queues, schedules };
        let stop = async {
            let _ = stop_rx.await;
        };
        tresor_jobs::worker::run(store, registry, plan, stop).await.expect("workers run");
        let _ = done_tx.send(());
    });
    RunningWorkers { stop: Some(stop), done: Some(done) }
}

impl RunningWorkers {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            tokio::time::timeout(Duration::from_secs(15), done).await.expect("workers stop in time").unwrap();
        }
    }
}

impl Drop for RunningWorkers {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Polls `check` until it is true or `timeout` passes.
pub async fn eventually(timeout: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    Plain,
    Starttls,
    Implicit,
}

/// aiosmtpd (Python) on a free port; killed on drop. Messages land as files in `out`.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub out: PathBuf,
    pub ca_file: Option<PathBuf>,
    tls: Tls,
    _dir: tempfile::TempDir,
}

pub struct SmtpOptions {
    pub tls: Tls,
    pub delay_secs: f64,
    pub reject_first: u32,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        Self { tls: Tls::Plain, delay_secs: 0.0, reject_first: 0 }
    }
}

impl SmtpServer {
    pub async fn start(options: SmtpOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("received");
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let mut command = Command::new("python3");
        command.arg(&script).args(["--port", &port.to_string(), "--out"]).arg(&out).args([
            "--delay",
            &options.delay_secs.to_string(),
            "--reject-first",
            &options.reject_first.to_string(),
        ]);
        let mut ca_file = None;
        if options.tls != Tls::Plain {
            let (cert, key, ca) = certificates(dir.path());
            let mode = if options.tls == Tls::Starttls { "starttls" } else { "implicit" };
            command.args(["--tls", mode, "--cert"]).arg(&cert).arg("--key").arg(&key);
            ca_file = Some(ca);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (pip install aiosmtpd)");
        let server = Self { child, port, out, ca_file, tls: options.tls, _dir: dir };
        eventually(Duration::from_secs(20), "the SMTP server to listen", async || {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        server
    }

    pub fn url(&self) -> String {
        match self.tls {
            Tls::Plain => format!("smtp://127.0.0.1:{}", self.port),
            Tls::Starttls => format!("smtp://localhost:{}?tls=required", self.port),
            Tls::Implicit => format!("smtps://localhost:{}", self.port),
        }
    }

    /// Every message received so far, as raw text.
    pub fn received(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.out) else { return Vec::new() };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            // Only finished messages: the server writes `.<name>.eml.part`, then renames it.
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter(|p| p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }
}

/// A throwaway CA and a `localhost` server certificate it signed (webpki refuses a self-signed
/// certificate that is its own CA as a server certificate). Returns (cert, key, ca).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name);
    std::fs::write(
        path("ext.cnf"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let steps: [Vec<&str>; 3] = [
        vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=tresor test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
        vec![
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ],
        vec![
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext.cnf",
            "-out",
            "cert.pem",
        ],
    ];
    for args in steps {
        let status = Command::new("openssl")
            .args(&args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?}");
    }
    (path("cert.pem"), path("key.pem"), path("ca.pem"))
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A header's value in a raw message (first occurrence, unfolded).
pub fn header(message: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut lines = message.lines().take_while(|l| !l.is_empty()).peekable();
    while let Some(line) = lines.next() {
        if line.to_ascii_lowercase().starts_with(&prefix) {
            let mut value = line[prefix.len()..].trim().to_owned();
            while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                value.push(' ');
                value.push_str(next.trim());
                lines.next();
            }
            return Some(value);
        }
    }
    None
}
