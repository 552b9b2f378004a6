//! Refresh rotation and reuse detection; logout taking effect at once.

use serde_json::{Value, json};

use super::tokens::refused;
use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn refresh_rotates_and_a_spent_token_kills_the_session_at_once() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let first: Value = app.refresh(&signed.refresh).await.json().await.unwrap();
    let next_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let next_access = first["access_token"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, signed.refresh);
    assert_eq!(first["session_id"], signed.session_id, "same session");
    assert_eq!(app.sessions(&next_access).await.status(), 200);

    assert_problem(app.refresh(&signed.refresh).await, 401, "invalid-token").await;
    refused(&app, &next_access).await;
    refused(&app, &signed.access).await;
    assert_problem(app.refresh(&next_refresh).await, 401, "invalid-token").await;
    assert_eq!(app.security_events("refresh_token_reuse").await.len(), 1);
    assert_eq!(app.mail_to(&signed.user.email, "refresh_token_reuse").await.len(), 1);
    assert_problem(app.refresh("junk").await, 401, "invalid-token").await;
}

#[actix_web::test]
async fn concurrent_use_of_one_refresh_token_never_yields_two_live_pairs() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let (a, b) = futures::join!(app.refresh(&signed.refresh), app.refresh(&signed.refresh));
    let ok = [a.status().as_u16(), b.status().as_u16()].iter().filter(|s| **s == 200).count();
    assert!(ok <= 1, "at most one exchange succeeds");
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE spent_at IS NULL")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert!(live <= 1);
}

#[actix_web::test]
async fn logout_stops_the_access_token_at_once_and_all_sessions_ends_every_one() {
    let app = spawn_app().await;
    let one = app.signed_in().await;
    let two = app.sign_in(one.user_clone()).await;
    assert_eq!(app.logout(&one.access, &json!({})).await.status(), 204);
    refused(&app, &one.access).await;
    assert_eq!(app.sessions(&two.access).await.status(), 200, "the other session lives");
    assert_problem(app.refresh(&one.refresh).await, 401, "invalid-token").await;
    let empty = app.client.post(app.url("/v1/auth/logout")).bearer_auth(&two.access).send().await.unwrap();
    assert_eq!(empty.status(), 204, "the body is optional");
    refused(&app, &two.access).await;

    let three = app.sign_in(one.user_clone()).await;
    let four = app.sign_in(one.user_clone()).await;
    assert_eq!(app.logout(&three.access, &json!({"all_sessions": true})).await.status(), 204);
    refused(&app, &four.access).await;
    assert_problem(app.logout(&three.access, &json!({})).await, 401, "invalid-token").await;
}
