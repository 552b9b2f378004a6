//! Signed download links and what stands behind them: the exact version, for the right user,
//! for five minutes, decrypting only genuine, untouched chunks.

use chrono::{Duration, Utc};
use tresor::documents::links::{self, Grant, Scope};
use tresor::documents::{Access, DocumentType};
use uuid::Uuid;

use super::fixtures::{self, document_image};
use super::{actor, app, body, docs, download, scan, slug, token, upload, uploaded};

#[actix_web::test]
async fn old_versions_stay_readable_through_their_own_links() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let (one, two) = (fixtures::plain_pdf("version one"), fixtures::plain_pdf("version two"));
    let v1 = upload(&app, owner, DocumentType::ProofOfAddress, Some("bill"), &one).await.unwrap();
    let v2 = upload(&app, owner, DocumentType::ProofOfAddress, Some("bill"), &two).await.unwrap();
    scan(&app, &v1).await;
    scan(&app, &v2).await;
    assert_eq!(download(&app, owner, v1.id, Some(1)).await.1, one);
    let (latest, bytes) = download(&app, owner, v1.id, None).await;
    assert_eq!((bytes, latest.filename.as_str()), (two, "bill-v2.pdf"));
    let missing = docs(&app).link(owner, &Access::Owner(owner), v1.id, Some(3)).await.unwrap_err();
    assert_eq!(slug(missing), (404, "not-found".to_owned()));
}

#[actix_web::test]
async fn links_expire_and_altered_or_foreign_links_are_all_the_same_404() {
    let app = app().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let doc = uploaded(&app, alice, DocumentType::Passport, &fixtures::jpeg(&document_image(900, 600))).await;
    scan(&app, &doc).await;
    let link = docs(&app).link(alice, &Access::Owner(alice), doc.id, None).await.unwrap();
    let expires_in = link.expires_at - Utc::now();
    assert!(expires_in <= Duration::minutes(5) && expires_in > Duration::minutes(4), "{expires_in}");
    assert!(link.url.starts_with(&format!("{}/v1/files/v1.", app.state.config.public_url)));
    let good = token(&app, alice, doc.id, None).await;

    let mac = &app.state.keys.mac;
    let grant = |user, scope, expires_at| Grant { version_id: doc.version_id, user_id: user, scope, expires_at };
    let later = Utc::now() + Duration::minutes(5);
    let mut altered = good.clone().into_bytes();
    let at = altered.len() - 3;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let refused = [
        ("expired", links::sign(mac, &grant(alice, Scope::Owner, Utc::now() - Duration::seconds(1))), None),
        ("altered", String::from_utf8(altered).unwrap(), None),
        ("made for bob, presented by alice", links::sign(mac, &grant(bob, Scope::Owner, later)), Some(alice)),
        ("bob's link to alice's document", links::sign(mac, &grant(bob, Scope::Owner, later)), None),
        ("alice's link presented by bob", good.clone(), Some(bob)),
        ("garbage", "v1.x.y.z".to_owned(), None),
    ];
    for (what, token, presenter) in refused {
        let error = docs(&app).download(&actor(alice), &token, presenter).await.unwrap_err();
        assert_eq!(slug(error), (404, "not-found".to_owned()), "{what}");
    }
    // Staff links read any customer's document.
    let staff = Uuid::now_v7();
    let staff_link = links::sign(mac, &grant(staff, Scope::Staff, later));
    assert!(docs(&app).download(&actor(staff), &staff_link, Some(staff)).await.is_ok());
    let audits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'document.download'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(audits, 1, "every download is audited, refusals are not downloads");
}

#[actix_web::test]
async fn links_are_only_made_for_clean_versions() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let pending = uploaded(&app, owner, DocumentType::Other, &fixtures::plain_pdf("x")).await;
    let error = docs(&app).link(owner, &Access::Owner(owner), pending.id, None).await.unwrap_err();
    assert_eq!(slug(error), (409, "document-not-clean".to_owned()));
    let bad = uploaded(&app, owner, DocumentType::Other, &fixtures::pdf("/AA << /O << /JS (x) >> >>", "x", &[])).await;
    scan(&app, &bad).await;
    let error = docs(&app).link(owner, &Access::Owner(owner), bad.id, None).await.unwrap_err();
    assert_eq!(slug(error), (409, "document-not-clean".to_owned()));
    let other = docs(&app).link(Uuid::now_v7(), &Access::Owner(Uuid::now_v7()), pending.id, None).await.unwrap_err();
    assert_eq!(slug(other), (404, "not-found".to_owned()));
}

/// The one stored file of a version (its original), found by its key prefix.
fn stored_file(app: &crate::helpers::TestApp, version: Uuid) -> std::path::PathBuf {
    app.data_dir.path().join("documents").join(format!("{version}.original"))
}

#[actix_web::test]
async fn tampered_or_reordered_ciphertext_fails_to_decrypt() {
    let app = app().await;
    let owner = Uuid::now_v7();
    // Several 64 KiB chunks.
    let pdf = fixtures::plain_pdf(&"chunks ".repeat(45_000));
    let swapped = uploaded(&app, owner, DocumentType::Other, &pdf).await;
    let flipped = upload(&app, owner, DocumentType::Other, Some("two"), &pdf).await.unwrap();
    let cut = upload(&app, owner, DocumentType::Other, Some("three"), &pdf).await.unwrap();
    for version in [&swapped, &flipped, &cut] {
        scan(&app, version).await; // clean: the PDF is served from its original file
    }
    let tokens = [
        token(&app, owner, swapped.id, None).await,
        token(&app, owner, flipped.id, None).await,
        token(&app, owner, cut.id, None).await,
    ];

    let frame = 64 * 1024 + 16;
    let header = 8 + 19;
    let path = stored_file(&app, swapped.version_id);
    let mut bytes = std::fs::read(&path).unwrap();
    let (first, second) = (bytes[header..header + frame].to_vec(), bytes[header + frame..header + 2 * frame].to_vec());
    bytes[header..header + frame].copy_from_slice(&second);
    bytes[header + frame..header + 2 * frame].copy_from_slice(&first);
    std::fs::write(&path, bytes).unwrap();
    let path = stored_file(&app, flipped.version_id);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[header + 2 * frame + 100] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let path = stored_file(&app, cut.version_id);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..header + 3 * frame]).unwrap();

    for token in tokens {
        let download = docs(&app).download(&actor(owner), &token, Some(owner)).await.unwrap();
        let error = body(download).await.expect_err("the stream must fail, not serve forged bytes");
        assert_eq!(error.to_string(), "stored document is damaged");
    }
}

#[actix_web::test]
async fn a_tampered_original_is_never_scanned_as_clean() {
    let app = app().await;
    let version = uploaded(&app, Uuid::now_v7(), DocumentType::Other, &fixtures::plain_pdf("x")).await;
    let path = stored_file(&app, version.version_id);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    std::fs::write(&path, bytes).unwrap();
    assert!(docs(&app).scan(version.version_id).await.is_err(), "a failure to retry, not a verdict");
    let pending = tresor::documents::rows::pending_scans(&app.state.db, Utc::now(), 10).await.unwrap();
    assert_eq!(pending, vec![version.version_id]);
}
