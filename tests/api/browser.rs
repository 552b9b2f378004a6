//! `/docs` rendered by a real browser (headless Chromium) from the vendored assets alone.
//! Skipped with a printed reason when no Chromium is installed, unless
//! `TRESOR_TEST_BROWSER=required` (CI sets it).

use std::path::PathBuf;
use std::process::Command;

use crate::support::spawn_app;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[actix_web::test]
async fn docs_render_in_headless_chromium_without_network() {
    let Some(browser) = chromium() else {
        if std::env::var("TRESOR_TEST_BROWSER").as_deref() == Ok("required") {
            panic!("TRESOR_TEST_BROWSER=required but no Chromium is installed");
        }
        eprintln!("skipped: no Chromium installed (apt-get install chromium)");
        return;
    };
    let app = spawn_app().await;
    let profile = tempfile::tempdir().unwrap();
    let url = app.url("/docs/");
    let dom = actix_web::rt::task::spawn_blocking(move || {
        Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=20000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(url)
            .output()
            .expect("chromium runs")
    })
    .await
    .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    // Swagger UI draws these only after its JavaScript ran and fetched /openapi.json.
    assert!(html.contains("class=\"title\""), "the UI did not render: {html}");
    assert!(html.contains("tresor"), "the API title is shown: {html}");
    assert!(html.contains("/health/ready"), "the operations are listed: {html}");
}
