//! Encryption key rotation: data keys are re-wrapped under the new ring key, after which the old
//! ring key can be retired and every document still opens.

use std::sync::Arc;

use base64::Engine;
use tresor::crypto::Keys;
use tresor::documents::rewrap::rewrap_data_keys;
use tresor::documents::{DocumentType, Documents};
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::documents::{self, actor, app, body, document_image, scan, uploaded};

/// A copy of the app's keys folder whose encryption ring has `secret` as its new active key; with
/// `retire`, the old encryption key is gone from it.
fn rotated_keys(app: &TestApp, secret: &str, retire: bool) -> Keys {
    let from = &app.state.config.keys_dir;
    let to = app.data_dir.path().join(if retire { "keys-retired" } else { "keys-rotated" });
    std::fs::create_dir_all(&to).unwrap();
    for ring in ["signing.json", "mac.json"] {
        std::fs::copy(from.join(ring), to.join(ring)).unwrap();
    }
    let mut ring: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from.join("encryption.json")).unwrap()).unwrap();
    let new = serde_json::json!({ "id": "rotated0000000001", "created_at": "2026-11-24T00:00:00Z", "secret": secret });
    if retire {
        ring["keys"] = serde_json::json!([]);
    }
    ring["keys"].as_array_mut().unwrap().push(new);
    ring["active"] = "rotated0000000001".into();
    std::fs::write(to.join("encryption.json"), serde_json::to_vec(&ring).unwrap()).unwrap();
    Keys::load(&to, false).unwrap()
}

#[actix_web::test]
async fn rewrapped_documents_still_open_after_the_old_key_is_retired() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let png = uploaded(&app, owner, DocumentType::Passport, &documents::png(&document_image(900, 600))).await;
    let pdf = uploaded(&app, owner, DocumentType::ProofOfAddress, &documents::plain_pdf("rotation")).await;
    scan(&app, &png).await;
    scan(&app, &pdf).await;

    let secret = base64::engine::general_purpose::STANDARD.encode(Uuid::new_v4().as_bytes().repeat(2));
    let rotated = rotated_keys(&app, &secret, false);
    assert_eq!(rewrap_data_keys(&app.state.db, &rotated).await.unwrap(), 4, "two originals, two clean copies");
    assert_eq!(rewrap_data_keys(&app.state.db, &rotated).await.unwrap(), 0, "idempotent");

    // The service with the new key only: the old one is retired.
    let retired = Documents { keys: Arc::new(rotated_keys(&app, &secret, true)), ..app.state.documents.clone() };
    for version in [&png, &pdf] {
        let link = retired.link(owner, &tresor::documents::Access::Owner(owner), version.id, None).await.unwrap();
        let token = link.url.rsplit('/').next().unwrap().to_owned();
        let download = retired.download(&actor(owner), &token, Some(owner)).await.unwrap();
        assert!(!body(download).await.unwrap().is_empty());
    }
    let fresh = uploaded(&app, owner, DocumentType::Other, &documents::plain_pdf("after")).await;
    assert!(
        retired.scan(fresh.version_id).await.is_err(),
        "sealed under the retired key: the old ring is still needed"
    );
}

/// `tresor keys rotate` re-wraps every document data key and re-seals every finished export's
/// file under the new active key, as it says it does.
#[actix_web::test]
async fn keys_rotate_re_wraps_document_keys_and_re_seals_export_files() {
    let app = app().await;
    let user = app.signed_in().await;
    let owner: Uuid = user.user.id.parse().unwrap();
    let png = uploaded(&app, owner, DocumentType::Passport, &documents::png(&document_image(900, 600))).await;
    scan(&app, &png).await;
    let export = crate::exports::basics::request_export(&app, &user).await;
    app.state.exports.build(export).await.unwrap();

    for args in [["keys", "generate", "--ring", "encryption"], ["keys", "rotate", "--ring", "encryption"]] {
        let out = app.cli(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        if args[1] == "rotate" {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("2 document data keys and 1 export files"), "{stdout}");
        }
    }
    let keys = Keys::load(&app.state.config.keys_dir, false).unwrap();
    let active = keys.encryption.active().0.to_owned();
    let sealed: Vec<String> = sqlx::query_scalar(
        "SELECT data_key FROM document_versions UNION ALL SELECT clean_data_key FROM document_scans \
         UNION ALL SELECT payload FROM exports",
    )
    .fetch_all(app.state.db.reader())
    .await
    .unwrap();
    assert_eq!(sealed.len(), 3);
    for value in &sealed {
        assert_eq!(tresor::crypto::aead::key_id(value), Some(active.as_str()), "{value:.40}");
    }
    let again = app.cli(&["keys", "rotate", "--ring", "encryption"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 document data keys and 0 export files"));
}
