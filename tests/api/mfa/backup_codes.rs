//! Backup codes: each works once, using one emails the owner, a new set kills the old one.

use serde_json::{Value, json};

use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn a_backup_code_signs_in_once_and_its_use_is_emailed() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let ada = app.enable_mfa(signed).await;
    let code = ada.backup_codes[3].clone();
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "backup_code": code.to_uppercase()})).await;
    assert_eq!(response.status(), 200, "case and dash do not matter");
    let mail = app.mail_to(&ada.signed.user.email, "backup_code_used").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].data["remaining"], 9);
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "backup_code": code})).await;
    assert_problem(response, 401, "invalid-mfa-code").await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "backup_code": ada.backup_codes[4]})).await;
    assert_eq!(response.status(), 200, "another code of the set still works");
    // Stored hashed: no code appears in the table.
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT code_hash FROM mfa_backup_codes").fetch_all(app.state.db.reader()).await.unwrap();
    assert_eq!(rows.len(), 10);
    for code in &ada.backup_codes {
        let plain = code.replace('-', "");
        assert!(rows.iter().all(|h| !h.contains(&plain) && !h.contains(code.as_str())));
    }
}

#[actix_web::test]
async fn a_new_set_of_backup_codes_kills_the_old_one() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let mut ada = app.enable_mfa(signed).await;
    let code = ada.authenticator.code().await;
    let response = app.post_authed("/v1/mfa/backup-codes", &ada.signed.access, &json!({"code": code})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let fresh: Vec<String> =
        body["backup_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !ada.backup_codes.contains(c)));
    let response = app.post_authed("/v1/mfa/backup-codes", &ada.signed.access, &json!({"code": code})).await;
    assert_problem(response, 403, "invalid-mfa-code").await;
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "backup_code": ada.backup_codes[0]})).await;
    assert_problem(response, 401, "invalid-mfa-code").await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "backup_code": fresh[0]})).await;
    assert_eq!(response.status(), 200);
}
