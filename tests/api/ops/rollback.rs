//! Rolling a deploy back: the previous binary starts on a database that a later release has
//! migrated further (migrations it does not know are left alone).

use crate::support::spawn_app;

#[actix_web::test]
async fn migrate_and_serve_accept_a_database_migrated_by_a_later_release() {
    let app = spawn_app().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'a later release', $2, $3, 0)",
    )
    .bind(20_991_231_000_000_i64)
    .bind(true)
    .bind(vec![0_u8; 48])
    .execute(app.state.db.writer())
    .await
    .unwrap();
    let output = app.cli(&["migrate"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let output = app.cli(&["ledger", "verify"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
}
