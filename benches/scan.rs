//! Time of the document scan on a realistic 12-megapixel JPEG, against a baseline measured in
//! the same run: a plain decode with no limits and no checks.
//!
//! `cargo bench --bench scan`

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/photo.rs"]
mod photo;

use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use figment::providers::Serialized;
use tresor::config::{Environment, defaults, from_figment};
use tresor::crypto::Keys;
use tresor::db::{Db, PoolSettings};
use tresor::documents::scan::inspect::inspect;
use tresor::documents::{DocumentType, Documents, FileKind, NewUpload};
use uuid::Uuid;

fn bench(c: &mut Criterion) {
    let jpeg = photo::photo_jpeg();
    eprintln!("fixture: {}×{} JPEG, {} bytes", photo::WIDTH, photo::HEIGHT, jpeg.len());
    let dir = tempfile::tempdir().unwrap();
    let config = from_figment(
        Environment::Test,
        defaults().merge(Serialized::default("data_dir", dir.path().display().to_string())),
    )
    .unwrap();
    let settings = config.settings.scan.clone();

    let mut group = c.benchmark_group("scan_12mp_jpeg");
    group.sample_size(10);
    group.bench_function("baseline_plain_decode", |b| b.iter(|| image::load_from_memory(&jpeg).unwrap()));
    group.bench_function("inspect", |b| b.iter(|| inspect(&jpeg, FileKind::Jpeg, DocumentType::Passport, &settings)));

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let documents = runtime.block_on(async {
        let db = Db::connect(
            &config.database_url,
            &PoolSettings {
                max_connections: 2,
                acquire_timeout: std::time::Duration::from_secs(5),
                statement_timeout: std::time::Duration::ZERO,
            },
        )
        .await
        .unwrap();
        tresor::db::migrate(&db, tresor::state::sqlite_file(&config)).await.unwrap();
        let keys = Arc::new(Keys::load(&config.keys_dir, true).unwrap());
        let jobs = tresor::queue::store(&config, &db).unwrap();
        Documents::open(&config, db, keys, jobs).unwrap()
    });
    let owner = Uuid::now_v7();
    group.bench_function("scan_document_decrypt_inspect_store_verdict", |b| {
        b.iter_batched(
            || {
                runtime.block_on(async {
                    let upload = NewUpload { owner_id: owner, document_type: DocumentType::Passport, name: None };
                    let body = futures::stream::iter(jpeg.chunks(64 * 1024).map(Ok::<_, std::io::Error>));
                    documents.upload(&tresor::audit::Actor::system(), upload, body).await.unwrap().version_id
                })
            },
            |version| runtime.block_on(documents.scan(version)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
