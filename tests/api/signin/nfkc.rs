//! Passwords are NFKC-normalised before hashing and checking; hashes from before that are
//! checked with the raw password and replaced at the next successful sign-in.

use argon2::password_hash::{PasswordHasher as _, SaltString};
use serde_json::json;

use crate::support::identity::unique_email;
use crate::support::{TestApp, assert_problem, spawn_app};

/// Full-width letters and digits: NFKC turns them into ASCII.
const WIDE: &str = "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ｓｔａｐｌｅ ４２";
const NARROW: &str = "correct horse battery staple 42";

async fn stored(app: &TestApp, email: &str) -> (String, i64) {
    sqlx::query_as("SELECT password_hash, password_nfkc FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

async fn verified(app: &TestApp, password: &str) -> String {
    let email = unique_email("nfkc");
    let response = app.register(&json!({"email": email, "password": password, "full_name": "Ada Lovelace"})).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let token = app.link_token(&email, "verify_email").await;
    assert_eq!(app.verify_email(&token).await.status(), 204);
    email
}

#[actix_web::test]
async fn the_same_password_in_another_unicode_form_signs_in() {
    let app = spawn_app().await;
    let email = verified(&app, WIDE).await;
    assert_eq!(stored(&app, &email).await.1, 1, "new hashes are of the normalised password");
    assert_eq!(app.login(&email, NARROW).await.status(), 200);
    assert_eq!(app.login(&email, WIDE).await.status(), 200);
    // A ligature and its letters are one password too.
    let other = verified(&app, "ﬁnest lighthouse tangerine orbit").await;
    assert_eq!(app.login(&other, "finest lighthouse tangerine orbit").await.status(), 200);
    assert_problem(app.login(&other, "finest lighthouse tangerine orbit!").await, 401, "invalid-credentials").await;
}

#[actix_web::test]
async fn a_legacy_hash_of_the_raw_password_is_checked_raw_and_rehashed_normalised_at_sign_in() {
    let app = spawn_app().await;
    let email = verified(&app, NARROW).await;
    // As a hash stored before normalisation: argon2id of the raw (full-width) password.
    let salt = SaltString::encode_b64(b"a legacy salt 16").unwrap();
    let legacy = argon2::Argon2::default().hash_password(WIDE.as_bytes(), &salt).unwrap().to_string();
    sqlx::query("UPDATE users SET password_hash = $1, password_nfkc = 0 WHERE email = $2")
        .bind(&legacy)
        .bind(&email)
        .execute(app.state.db.writer())
        .await
        .unwrap();

    // The legacy hash knows only the raw form.
    assert_problem(app.login(&email, NARROW).await, 401, "invalid-credentials").await;
    assert_eq!(app.login(&email, WIDE).await.status(), 200);
    let (hash, nfkc) = stored(&app, &email).await;
    assert_eq!(nfkc, 1, "re-hashed normalised on that sign-in");
    assert_ne!(hash, legacy);
    assert_eq!(app.login(&email, NARROW).await.status(), 200, "now both forms sign in");
    assert_eq!(app.login(&email, WIDE).await.status(), 200);
}
