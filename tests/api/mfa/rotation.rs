//! `tresor keys rotate` re-seals TOTP secrets under the new encryption key, and sign-in with a
//! code still works afterwards.

use crate::support::spawn_app;

#[actix_web::test]
async fn key_rotation_re_seals_totp_secrets_and_codes_keep_working() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let mut user = app.enable_mfa(signed).await;
    let sealed = || async {
        sqlx::query_scalar::<_, String>("SELECT secret FROM mfa_totp").fetch_one(app.state.db.reader()).await.unwrap()
    };
    let before = sealed().await;
    for args in [["keys", "generate", "--ring", "encryption"], ["keys", "rotate", "--ring", "encryption"]] {
        let out = app.cli(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    app.state.reload_keys().unwrap();
    let after = sealed().await;
    let active = app.state.keys.encryption.active().0.to_owned();
    assert_ne!(before, after);
    assert!(after.starts_with(&format!("v1:{active}:")), "{after}");
    let token = app.sign_in_with_mfa(&mut user).await;
    assert_eq!(app.get_authed("/v1/users/me", &token).await.status(), 200);
}
