//! Lockout: five consecutive failures lock; parallel guessing cannot verify more than five;
//! expiry (lazily at sign-in and by the `expire_lockouts` store function).

use crate::support::{TestApp, spawn_app};

/// How many passwords were really verified and wrong, once all `attempts` are recorded.
pub async fn verified_wrong_passwords(app: &TestApp, attempts: usize) -> usize {
    app.wait_for_events("login_failed", attempts)
        .await
        .iter()
        .filter(|e| e["detail"]["reason"] == "wrong_password")
        .count()
}

#[actix_web::test]
async fn five_wrong_passwords_lock_the_account_and_the_owner_is_told() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    for _ in 0..5 {
        assert_eq!(app.login(&user.email, "wrong password entirely").await.status(), 401);
    }
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401, "locked: the right password fails too");
    app.wait_for_events("account_locked", 1).await;
    assert_eq!(app.mail_to(&user.email, "account_locked").await.len(), 1);
    assert_eq!(app.security_events("account_locked").await.len(), 1);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE action = 'user.locked'")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    let until: String =
        sqlx::query_scalar("SELECT locked_until FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    let minutes = (tresor::db::time::from_db(&until).unwrap() - chrono::Utc::now()).num_minutes();
    assert!((14..=15).contains(&minutes), "{minutes}");
}

#[actix_web::test]
async fn a_correct_password_resets_the_count() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    for _ in 0..4 {
        app.login(&user.email, "wrong password entirely").await;
    }
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);
    for _ in 0..4 {
        app.login(&user.email, "wrong password entirely").await;
    }
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200, "never five in a row");
}

#[actix_web::test]
async fn a_hundred_parallel_wrong_passwords_verify_at_most_five() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let attempts = (0..100).map(|n| app.login(&user.email, if n == 50 { "nearly" } else { "wrong password entirely" }));
    let responses = futures::future::join_all(attempts).await;
    assert!(responses.iter().all(|r| r.status() == 401 || r.status() == 503), "no 2xx, no 5xx but 503");
    let verified = verified_wrong_passwords(&app, 100).await;
    assert!((1..=5).contains(&verified), "{verified} verified");
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401, "the lock holds");
}

#[actix_web::test]
async fn an_expired_lockout_ends_at_the_next_sign_in_and_the_next_lasts_twice_as_long() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    sqlx::query("UPDATE users SET locked_until = '2000-01-01T00:00:00.000000Z', failed_logins = 5, lockouts = 1")
        .execute(app.state.db.writer())
        .await
        .unwrap();
    assert_eq!(app.login(&user.email, "wrong password entirely").await.status(), 401);
    let unlocked: i64 = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.unlocked'").await;
    assert_eq!(unlocked, 1);
    for _ in 0..4 {
        app.login(&user.email, "wrong password entirely").await;
    }
    let until: String =
        sqlx::query_scalar("SELECT locked_until FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    let minutes = (tresor::db::time::from_db(&until).unwrap() - chrono::Utc::now()).num_minutes();
    assert!((29..=30).contains(&minutes), "the second lockout doubles: {minutes}");
}

#[actix_web::test]
async fn expire_lockouts_ends_only_the_lockouts_that_are_due() {
    let app = spawn_app().await;
    let (due, running) = (app.verified_user().await, app.verified_user().await);
    let set = |id: String, until: &'static str| {
        let writer = app.state.db.writer().clone();
        async move {
            sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 5 WHERE id = $2")
                .bind(until)
                .bind(id)
                .execute(&writer)
                .await
                .unwrap();
        }
    };
    set(due.id.clone(), "2000-01-01T00:00:00.000000Z").await;
    set(running.id.clone(), "2999-01-01T00:00:00.000000Z").await;
    let now = chrono::Utc::now();
    assert_eq!(tresor::identity::maintenance::expire_lockouts(&app.state.db, now).await.unwrap(), 1);
    assert_eq!(tresor::identity::maintenance::expire_lockouts(&app.state.db, now).await.unwrap(), 0, "idempotent");
    assert_eq!(app.login(&due.email, &due.password).await.status(), 200);
    assert_eq!(app.login(&running.email, &running.password).await.status(), 401);
    assert!(app.state.audit.verify().await.unwrap().ok);
}
