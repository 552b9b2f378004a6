//! The audit chain on the test's database (SQLite or PostgreSQL).

use tresor::audit::{self, Actor, Event};

use crate::support::{TestApp, spawn_app};

fn event(n: usize) -> Event {
    Event {
        action: "test.changed",
        target_type: "thing",
        target_id: Some(n.to_string()),
        old: Some(serde_json::json!({"n": n})),
        new: Some(serde_json::json!({"n": n + 1})),
    }
}

async fn append_one(app: &TestApp, n: usize) {
    let db = &app.state.db;
    let mut tx = db.begin().await.unwrap();
    let actor =
        Actor { user_id: Some(uuid::Uuid::now_v7()), ip: Some("127.0.0.1".into()), user_agent: Some("test".into()) };
    audit::record(&mut tx, &actor, event(n)).await.unwrap();
    tx.commit().await.unwrap();
}

#[actix_web::test]
async fn a_fresh_chain_verifies() {
    let app = spawn_app().await;
    let report = app.state.audit.verify().await.unwrap();
    assert!(report.ok);
    assert_eq!(report.checked, 0);
}

#[actix_web::test]
async fn parallel_writers_never_fork_the_chain() {
    let app = spawn_app().await;
    let writers = (0..40).map(|n| append_one(&app, n));
    futures::future::join_all(writers).await;
    let report = app.state.audit.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, 40);
}

#[actix_web::test]
async fn a_rolled_back_change_leaves_no_audit_entry() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let mut tx = db.begin().await.unwrap();
    audit::record(&mut tx, &Actor::system(), event(1)).await.unwrap();
    tx.rollback().await.unwrap();
    append_one(&app, 2).await;
    let report = tresor::audit::Audit::new(db.clone()).verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, 1);
}

#[actix_web::test]
async fn the_database_refuses_to_update_or_delete_audit_rows() {
    let app = spawn_app().await;
    append_one(&app, 1).await;
    let writer = app.state.db.writer();
    let update = sqlx::query("UPDATE audit_log SET action = 'forged'").execute(writer).await;
    assert!(update.is_err(), "update must be refused");
    let delete = sqlx::query("DELETE FROM audit_log").execute(writer).await;
    assert!(delete.is_err(), "delete must be refused");
}

/// Removes the append-only guard the way an attacker with database access would, then edits.
async fn tamper(app: &TestApp, sql: &'static str) {
    let writer = app.state.db.writer();
    let drop_guard = if app.database.is_postgres() {
        "DROP TRIGGER audit_log_is_append_only ON audit_log"
    } else {
        "DROP TRIGGER audit_log_is_append_only_update"
    };
    sqlx::query(drop_guard).execute(writer).await.unwrap();
    if !app.database.is_postgres() {
        sqlx::query("DROP TRIGGER audit_log_is_append_only_delete").execute(writer).await.unwrap();
    }
    sqlx::query(sql).execute(writer).await.unwrap();
}

async fn third_id(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM audit_log WHERE seq = 3").fetch_one(app.state.db.reader()).await.unwrap()
}

#[actix_web::test]
async fn cli_verify_passes_then_fails_naming_the_row_edited_by_hand() {
    let app = spawn_app().await;
    for n in 0..5 {
        append_one(&app, n).await;
    }
    let ok = app.cli(&["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("5 entries checked"));

    let bad_id = third_id(&app).await;
    tamper(&app, "UPDATE audit_log SET new_value = '{\"n\":999}' WHERE seq = 3").await;
    let report = app.state.audit.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_id.as_deref(), Some(bad_id.as_str()));
    assert_eq!(report.checked, 2);

    let failed = app.cli(&["audit", "verify"]);
    assert_eq!(failed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(stdout.contains(&bad_id), "{stdout}");
}

#[actix_web::test]
async fn deleting_a_middle_or_the_last_row_breaks_the_chain() {
    let app = spawn_app().await;
    for n in 0..4 {
        append_one(&app, n).await;
    }
    tamper(&app, "DELETE FROM audit_log WHERE seq = 4").await;
    let report = app.state.audit.verify().await.unwrap();
    assert!(!report.ok, "a deleted last row shows against the head");
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(app.state.db.writer()).await.unwrap();
    let report = app.state.audit.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.checked, 1);
}

#[actix_web::test]
async fn many_events_appended_at_once_chain_in_order() {
    let app = spawn_app().await;
    append_one(&app, 0).await;
    let db = &app.state.db;
    let actor = Actor::system();
    let mut tx = db.begin().await.unwrap();
    let events = (1..=5).map(|n| (&actor, event(n))).collect();
    let entries = audit::record_many(&mut tx, events).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3, 4, 5, 6]);
    append_one(&app, 7).await;
    let report = tresor::audit::Audit::new(db.clone()).verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, 7);
}
