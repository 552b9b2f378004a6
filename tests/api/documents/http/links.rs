//! Signed links over HTTP: expired, altered and someone else's are one and the same 404.

use figment::providers::Serialized;
use serde_json::{Value, json};

use crate::support::documents::{self, path_of};
use crate::support::jobs::start_workers;
use crate::support::{assert_problem, spawn_app_with};

#[actix_web::test]
async fn expired_altered_and_other_users_links_are_404_and_the_owners_works() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default("jobs.poll_interval_ms", 50))
            .merge(Serialized::default("documents.link_ttl_secs", 3))
    })
    .await;
    // The users first: a running worker sends the verification email, and a sent email's
    // payload (the link the test reads) is cleared.
    let (owner, stranger) = (app.signed_in().await, app.signed_in().await);
    let workers = start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
    );
    let pdf = documents::plain_pdf("statement");
    let id = app.upload_document(&owner, "proof_of_address", None, &pdf).await["id"].as_str().unwrap().to_owned();
    app.scanned(&owner.access, &id).await;
    let response = app.post_authed(&format!("/v1/documents/{id}/download"), &owner.access, &json!({})).await;
    let link: Value = response.json().await.unwrap();
    let path = path_of(link["url"].as_str().unwrap());

    let with_bearer = |token: &str| app.client.get(app.url(&path)).bearer_auth(token.to_owned()).send();
    assert_eq!(with_bearer(&owner.access).await.unwrap().bytes().await.unwrap().as_ref(), pdf.as_slice());
    let not_found = assert_problem(with_bearer(&stranger.access).await.unwrap(), 404, "not-found").await;
    assert_problem(with_bearer("not-a-token").await.unwrap(), 401, "invalid-token").await;

    let mut tampered = Vec::new();
    for at in [path.len() - 1, path.len() - 30, "/v1/files/v1.".len() + 5] {
        let mut bytes = path.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        tampered.push(String::from_utf8(bytes).unwrap());
    }
    tampered.push("/v1/files/v1.x.y.z".to_owned());
    tampered.push("/v1/files/anything".to_owned());
    for bad in &tampered {
        let body = assert_problem(app.get(bad).await, 404, "not-found").await;
        assert_eq!(body["detail"], not_found["detail"], "no oracle: every refusal reads the same");
    }

    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let body = assert_problem(app.get(&path).await, 404, "not-found").await;
    assert_eq!(body["detail"], not_found["detail"]);
    let downloads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'document.download'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(downloads, 1, "every download is audited, refusals are not downloads");
    workers.stop().await;
}
