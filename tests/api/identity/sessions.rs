//! `GET /v1/auth/sessions`, `DELETE /v1/auth/sessions/{id}`.

use serde_json::Value;

use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn the_session_list_shows_live_sessions_and_marks_the_current_one() {
    let app = spawn_app().await;
    let one = app.signed_in().await;
    let two = app.sign_in(one.user_clone()).await;
    let body: Value = app.sessions(&two.access).await.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], two.session_id, "newest first");
    assert_eq!(items[0]["current"], true);
    assert_eq!(items[1]["current"], false);
    assert_eq!(items[0]["ip"], "127.0.0.1");
    for field in ["device_name", "user_agent", "created_at", "last_used_at"] {
        assert!(items[0].get(field).is_some(), "{field}");
    }
}

#[actix_web::test]
async fn revoking_a_session_ends_it_and_another_users_session_is_a_404() {
    let app = spawn_app().await;
    let mine = app.signed_in().await;
    let other_device = app.sign_in(mine.user_clone()).await;
    let stranger = app.signed_in().await;
    let path = |id: &str| app.url(&format!("/v1/auth/sessions/{id}"));

    let theirs = app.client.delete(path(&stranger.session_id)).bearer_auth(&mine.access).send().await.unwrap();
    assert_problem(theirs, 404, "not-found").await;
    assert_eq!(app.sessions(&stranger.access).await.status(), 200, "untouched");

    let ended = app.client.delete(path(&other_device.session_id)).bearer_auth(&mine.access).send().await.unwrap();
    assert_eq!(ended.status(), 204);
    assert_eq!(app.sessions(&other_device.access).await.status(), 401);
    let again = app.client.delete(path(&other_device.session_id)).bearer_auth(&mine.access).send().await.unwrap();
    assert_problem(again, 404, "not-found").await;
    let junk = app.client.delete(path("not-a-uuid")).bearer_auth(&mine.access).send().await.unwrap();
    assert_problem(junk, 400, "invalid-request").await;
}

#[actix_web::test]
async fn an_idle_session_cannot_be_refreshed() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    sqlx::query("UPDATE sessions SET idle_expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(app.state.db.writer())
        .await
        .unwrap();
    assert_problem(app.refresh(&signed.refresh).await, 401, "invalid-token").await;
}
