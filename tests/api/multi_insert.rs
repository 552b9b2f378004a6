//! Several tables' rows written at once (`db::insert::execute_all`: one statement on PostgreSQL,
//! one statement per table on SQLite), on the test's database: every value lands in its own table
//! and column, a later insert may name a row of an earlier one, and a failing insert leaves
//! nothing of the others once its transaction rolls back.

use tresor::db::insert::{Insert, Value, execute_all};

use crate::support::{TestApp, spawn_app};

async fn tables(app: &TestApp) {
    for sql in [
        "CREATE TABLE multi_parent (id TEXT PRIMARY KEY, n BIGINT)",
        "CREATE TABLE multi_child (id TEXT PRIMARY KEY, parent TEXT NOT NULL REFERENCES multi_parent (id), note TEXT)",
    ] {
        sqlx::query(sql).execute(app.state.db.writer()).await.unwrap();
    }
}

fn parents(ids: &[&str]) -> Insert {
    let mut insert = Insert::new("multi_parent", &["id", "n"]);
    for (n, id) in ids.iter().enumerate() {
        insert.row([(*id).into(), Value::Int(Some(n as i64 * 10))]);
    }
    insert
}

fn children(rows: &[(&str, &str, Option<&str>)]) -> Insert {
    let mut insert = Insert::new("multi_child", &["id", "parent", "note"]);
    for (id, parent, note) in rows {
        insert.row([(*id).into(), (*parent).into(), Value::Text(note.map(str::to_owned))]);
    }
    insert
}

async fn rows(app: &TestApp, sql: &'static str) -> Vec<(String, Option<String>)> {
    sqlx::query_as(sql).fetch_all(app.state.db.reader()).await.unwrap()
}

#[actix_web::test]
async fn each_insert_gets_its_own_values_and_may_name_an_earlier_ones_rows() {
    let app = spawn_app().await;
    tables(&app).await;
    let mut tx = app.state.db.begin().await.unwrap();
    let empty = Insert::new("multi_child", &["id", "parent", "note"]);
    let kids = children(&[("c1", "p2", Some("second")), ("c2", "p1", None), ("c3", "p2", Some("x"))]);
    execute_all(&mut tx, [parents(&["p1", "p2"]), empty, kids]).await.unwrap();
    tx.commit().await.unwrap();

    let parents = rows(&app, "SELECT id, CAST(n AS TEXT) FROM multi_parent ORDER BY id").await;
    assert_eq!(parents, [("p1".into(), Some("0".into())), ("p2".into(), Some("10".into()))]);
    let kids = rows(&app, "SELECT id || '>' || parent, note FROM multi_child ORDER BY id").await;
    assert_eq!(
        kids,
        [("c1>p2".into(), Some("second".into())), ("c2>p1".into(), None), ("c3>p2".into(), Some("x".into()))]
    );
}

#[actix_web::test]
async fn a_failing_insert_leaves_nothing_of_the_others_after_the_rollback() {
    let app = spawn_app().await;
    tables(&app).await;
    let mut tx = app.state.db.begin().await.unwrap();
    let orphan = children(&[("c1", "p1", None), ("c2", "nobody", None)]);
    let failed = execute_all(&mut tx, [parents(&["p1"]), orphan]).await;
    assert!(failed.is_err(), "a child naming no parent is refused");
    drop(tx);

    let mut tx = app.state.db.begin().await.unwrap();
    let twice = execute_all(&mut tx, [parents(&["p1"]), parents(&["p2", "p1"])]).await;
    assert!(twice.is_err(), "the second insert repeats the first one's key");
    drop(tx);

    assert!(rows(&app, "SELECT id, NULL FROM multi_parent").await.is_empty());
    assert!(rows(&app, "SELECT id, NULL FROM multi_child").await.is_empty());
}
