//! Signed download links and what stands behind them: the exact version, for the right user,
//! for five minutes, decrypting only genuine, untouched chunks.

use chrono::{Duration, Utc};
use tresor::documents::links::{self, Grant, Scope};
use tresor::documents::{Access, DocumentType};
use tresor::error::Error;
use uuid::Uuid;

use crate::support::documents::{
    self, actor, app, docs, document_image, download, scan, slug, token, upload, uploaded,
};

#[actix_web::test]
async fn old_versions_stay_readable_through_their_own_links() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let (one, two) = (documents::plain_pdf("version one"), documents::plain_pdf("version two"));
    let v1 = upload(&app, owner, DocumentType::ProofOfAddress, Some("bill"), &one).await.unwrap();
    let v2 = upload(&app, owner, DocumentType::ProofOfAddress, Some("bill"), &two).await.unwrap();
    scan(&app, &v1).await;
    scan(&app, &v2).await;
    assert_eq!(download(&app, owner, v1.id, Some(1)).await.1, one);
    let (latest, bytes) = download(&app, owner, v1.id, None).await;
    assert_eq!((bytes, latest.filename.as_str()), (two, "bill-v2.pdf"));
    let missing: Error = docs(&app).link(owner, &Access::Owner(owner), v1.id, Some(3)).await.unwrap_err().into();
    assert_eq!(slug(missing), (404, "not-found".to_owned()));
}

#[actix_web::test]
async fn links_expire_and_altered_or_foreign_links_are_all_the_same_404() {
    let app = app().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let doc = uploaded(&app, alice, DocumentType::Passport, &documents::jpeg(&document_image(900, 600))).await;
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
    let pending = uploaded(&app, owner, DocumentType::Other, &documents::plain_pdf("x")).await;
    let error: Error = docs(&app).link(owner, &Access::Owner(owner), pending.id, None).await.unwrap_err().into();
    assert_eq!(slug(error), (409, "document-not-clean".to_owned()));
    let bad = uploaded(&app, owner, DocumentType::Other, &documents::pdf("/AA << /O << /JS (x) >> >>", "x", &[])).await;
    scan(&app, &bad).await;
    let error: Error = docs(&app).link(owner, &Access::Owner(owner), bad.id, None).await.unwrap_err().into();
    assert_eq!(slug(error), (409, "document-not-clean".to_owned()));
    let other: Error =
        docs(&app).link(Uuid::now_v7(), &Access::Owner(Uuid::now_v7()), pending.id, None).await.unwrap_err().into();
    assert_eq!(slug(other), (404, "not-found".to_owned()));
}
