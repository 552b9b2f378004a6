//! The S3-protocol test server (s3s-fs, started by `.ci/run`): `TEST_S3_ENDPOINT`, its folder
//! `TEST_S3_ROOT`, the bucket `TEST_S3_BUCKET` and its credentials. With `TEST_DOCUMENTS_STORE=s3`
//! every test app keeps its documents there, each under a prefix of its own.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::Serialized;

pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The test S3 server, when the run has one.
pub fn server() -> Option<S3Server> {
    Some(S3Server {
        endpoint: var("TEST_S3_ENDPOINT")?,
        root: PathBuf::from(var("TEST_S3_ROOT")?),
        bucket: var("TEST_S3_BUCKET").unwrap_or_else(|| "tresor-test".to_owned()),
        access_key_id: var("TEST_S3_ACCESS_KEY_ID")?,
        secret_access_key: var("TEST_S3_SECRET_ACCESS_KEY")?,
    })
}

/// The test S3 server, or a failure when the run requires one (`TRESOR_TEST_S3=required`, as
/// `.ci/run` sets); `None` (the test is skipped) otherwise.
pub fn required_server(test: &str) -> Option<S3Server> {
    let found = server();
    if found.is_none() {
        assert!(var("TRESOR_TEST_S3").as_deref() != Some("required"), "{test}: TEST_S3_* is not set");
        eprintln!("skipped {test}: needs an S3 test server (TEST_S3_ENDPOINT, TEST_S3_ROOT, TEST_S3_*)");
    }
    found
}

/// Whether test apps keep their documents on the S3 server (`TEST_DOCUMENTS_STORE=s3`).
pub fn documents_on_s3() -> bool {
    var("TEST_DOCUMENTS_STORE").as_deref() == Some("s3")
}

impl S3Server {
    /// Settings that put documents in this server's bucket under `prefix`.
    pub fn configure(&self, figment: Figment, prefix: &str) -> Figment {
        figment
            .merge(Serialized::default("documents.store", "s3"))
            .merge(Serialized::default("documents.s3.bucket", &self.bucket))
            .merge(Serialized::default("documents.s3.prefix", prefix))
            .merge(Serialized::default("documents.s3.endpoint", &self.endpoint))
            .merge(Serialized::default("documents.s3.access_key_id", &self.access_key_id))
            .merge(Serialized::default("documents.s3.secret_access_key", &self.secret_access_key))
            .merge(Serialized::default("documents.s3.allow_http", true))
    }

    /// The same settings as environment variables, for a `tresor` process.
    pub fn env(&self, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TRESOR__DOCUMENTS__STORE", "s3".to_owned()),
            ("TRESOR__DOCUMENTS__S3__BUCKET", self.bucket.clone()),
            ("TRESOR__DOCUMENTS__S3__PREFIX", prefix.to_owned()),
            ("TRESOR__DOCUMENTS__S3__ENDPOINT", self.endpoint.clone()),
            ("TRESOR__DOCUMENTS__S3__ACCESS_KEY_ID", self.access_key_id.clone()),
            ("TRESOR__DOCUMENTS__S3__SECRET_ACCESS_KEY", self.secret_access_key.clone()),
            ("TRESOR__DOCUMENTS__S3__ALLOW_HTTP", "true".to_owned()),
        ]
    }

    /// Where s3s-fs keeps the objects under `prefix` as files.
    pub fn folder(&self, prefix: &str) -> PathBuf {
        self.root.join(&self.bucket).join(prefix)
    }
}
