//! Staged audit entries (the ledger's hot path) and the linker that chains them, on the test's
//! database (SQLite or PostgreSQL).

use tresor::audit::query::{AuditFilter, Direction};
use tresor::audit::{self, Actor, Event};

use crate::support::ledger::{caller, deposit, open};
use crate::support::{TestApp, spawn_app};

fn event(n: usize) -> Event {
    Event {
        action: "test.staged",
        target_type: "thing",
        target_id: Some(n.to_string()),
        old: None,
        new: Some(serde_json::json!({"n": n})),
    }
}

async fn stage(app: &TestApp, from: usize, count: usize) {
    let db = &app.state.db;
    let actor = Actor { user_id: Some(uuid::Uuid::now_v7()), ip: Some("127.0.0.1".into()), user_agent: None };
    let mut tx = db.begin().await.unwrap();
    audit::staged_rows((from..from + count).map(|n| (&actor, event(n))).collect()).execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.state.db.reader()).await.unwrap()
}

async fn staged_targets(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT target_id FROM audit_log WHERE action = 'test.staged' ORDER BY seq")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap()
}

#[actix_web::test]
async fn staged_entries_are_chained_once_each_by_racing_linkers() {
    let app = spawn_app().await;
    let writers = (0..30).map(|n| stage(&app, n * 50, 50));
    let linkers = (0..4).map(|_| app.state.audit.link_pending());
    let (_, linked) =
        futures::future::join(futures::future::join_all(writers), futures::future::join_all(linkers)).await;
    for result in linked {
        result.unwrap();
    }
    app.state.audit.link_pending().await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_pending").await, 0);
    let mut targets = staged_targets(&app).await;
    assert_eq!(targets.len(), 1500, "every staged entry is linked, none twice");
    targets.sort_by_key(|t| t.parse::<usize>().unwrap());
    targets.dedup();
    assert_eq!(targets.len(), 1500);
    let report = app.state.audit.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
}

#[actix_web::test]
async fn entries_staged_in_one_transaction_keep_their_order_in_the_chain() {
    let app = spawn_app().await;
    stage(&app, 0, 5).await;
    // The server's own linker may get there first; either way all five end up linked, in order.
    app.state.audit.link_pending().await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_pending").await, 0);
    assert_eq!(staged_targets(&app).await, ["0", "1", "2", "3", "4"]);
    assert_eq!(app.state.audit.link_pending().await.unwrap(), 0, "nothing is linked twice");
}

#[actix_web::test]
async fn a_rolled_back_transaction_stages_nothing() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let actor = Actor::system();
    let mut tx = db.begin().await.unwrap();
    audit::staged_rows(vec![(&actor, event(1))]).execute(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_pending").await, 0);
    assert_eq!(tresor::audit::Audit::new(db.clone()).link_pending().await.unwrap(), 0);
}

/// A transaction holding one staged entry: tampering is tried in it, so the server's linker
/// cannot take the row first.
async fn staging(app: &TestApp) -> tresor::db::Tx {
    let mut tx = app.state.db.begin().await.unwrap();
    audit::staged_rows(vec![(&Actor::system(), event(1))]).execute(&mut tx).await.unwrap();
    tx
}

#[actix_web::test]
async fn the_database_refuses_to_change_a_staged_entry() {
    let app = spawn_app().await;
    let mut tx = staging(&app).await;
    let update = sqlx::query("UPDATE audit_pending SET action = 'forged'").execute(&mut *tx).await;
    assert!(update.is_err(), "an update of a staged entry must be refused");
}

#[actix_web::test]
async fn a_money_movement_is_in_the_audit_log_as_soon_as_it_is_answered() {
    let app = spawn_app().await;
    let alice = caller();
    let account = open(&app, &alice, "EUR").await;
    let outcome = deposit(&app, &alice, &account, 1_234).await;
    assert_eq!(outcome.status, 201, "{}", outcome.body);
    // No waiting for the background linker: a reader links what is staged before it reads.
    let filter = AuditFilter { action: Some("ledger.deposit".into()), ..AuditFilter::default() };
    let entries = app.state.audit.page(&filter, Direction::NewestBefore(None), 10).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].target_id.as_deref(), Some(account.id.to_string().as_str()));
    assert_eq!(entries[0].new.as_ref().unwrap()["amount"], 1_234);
    let report = app.state.audit.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
}

#[actix_web::test]
async fn the_server_links_staged_entries_in_the_background() {
    let app = spawn_app().await;
    stage(&app, 0, 3).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(&app, "SELECT COUNT(*) FROM audit_pending").await > 0 {
        assert!(std::time::Instant::now() < deadline, "the staged entries were never linked");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(staged_targets(&app).await.len(), 3);
}

#[actix_web::test]
async fn a_staged_entry_cannot_be_deleted_before_it_is_linked() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let mut tx = staging(&app).await;
    let delete = sqlx::query("DELETE FROM audit_pending").execute(&mut *tx).await;
    let error = delete.expect_err("deleting a staged entry that is not in the chain must be refused");
    assert!(error.to_string().contains("only once linked"), "{error}");
    drop(tx);
    if db.dialect() == tresor::db::Dialect::Postgres {
        let truncate = sqlx::query("TRUNCATE audit_pending").execute(db.writer()).await;
        assert!(truncate.is_err(), "truncating the staged entries must be refused");
    }
}

#[actix_web::test]
async fn a_delete_of_linked_and_unlinked_entries_together_is_refused_whole() {
    let app = spawn_app().await;
    stage(&app, 0, 3).await;
    app.state.audit.link_pending().await.unwrap();
    let linked: Vec<String> = sqlx::query_scalar("SELECT id FROM audit_log WHERE action = 'test.staged' ORDER BY seq")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(linked.len(), 3);
    // The linked entries back beside one that is not linked, deleted in one statement: the
    // unlinked one refuses the whole delete.
    let mut tx = staging(&app).await;
    stage_again(&mut tx, &linked).await;
    let delete = sqlx::query("DELETE FROM audit_pending").execute(&mut *tx).await;
    let error = delete.expect_err("one unlinked entry among linked ones must refuse the delete");
    assert!(error.to_string().contains("only once linked"), "{error}");
    drop(tx);

    let mut tx = app.state.db.begin().await.unwrap();
    stage_again(&mut tx, &linked).await;
    let deleted = sqlx::query("DELETE FROM audit_pending").execute(&mut *tx).await.unwrap();
    assert_eq!(deleted.rows_affected(), 3, "linked entries may leave");
}

/// Stages linked entries `ids` once more, as a linker's batch would hold them.
async fn stage_again(tx: &mut tresor::db::Tx, ids: &[String]) {
    for id in ids {
        sqlx::query(
            "INSERT INTO audit_pending (id, at, action, target_type) \
             SELECT id, at, action, target_type FROM audit_log WHERE id = $1",
        )
        .bind(id)
        .execute(&mut **tx)
        .await
        .unwrap();
    }
}
