//! Access tokens verified by a standard JWT library from the JWKS alone; forged, expired and
//! misdirected tokens refused; refresh rotation and reuse; logout taking effect at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use tresor::identity::tokens::{Claims, JwtKeys};

use crate::support::{TestApp, assert_problem, spawn_app};

pub async fn refused(app: &TestApp, token: &str) {
    let response = app.sessions(token).await;
    assert_eq!(response.status(), 401, "token must be refused: {token}");
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[actix_web::test]
async fn a_standard_jwt_library_verifies_access_tokens_with_the_jwks_alone() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let jwks: JwkSet = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    let header = jsonwebtoken::decode_header(&signed.access).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the kid is published");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["tresor"]);
    validation.set_issuer(&[app.state.sessions.issuer()]);
    let data =
        jsonwebtoken::decode::<Value>(&signed.access, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
    let claims = data.claims;
    assert_eq!(claims["sub"], signed.user.id);
    assert_eq!(claims["sid"], signed.session_id);
    assert_eq!(claims["roles"], json!(["customer"]));
    assert_eq!(claims["kyc_status"], "not_started");
    assert_eq!(claims["mfa"], false);
    for claim in ["iat", "exp", "iss", "aud", "jti"] {
        assert!(!claims[claim].is_null(), "{claim}");
    }
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
}

#[actix_web::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let claims: Claims = serde_json::from_value(claims_of(&signed.access)).unwrap();
    let kid = jsonwebtoken::decode_header(&signed.access).unwrap().kid.unwrap();

    // alg: none, no signature.
    let none_header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let payload = signed.access.split('.').nth(1).unwrap();
    refused(&app, &format!("{none_header}.{payload}.")).await;

    // HS256 keyed with the public key (algorithm confusion).
    let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    let public = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    refused(&app, &jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(&public)).unwrap()).await;

    // The right kid, another key.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[7_u8; 32]);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&stranger).unwrap();
    let mut ed = Header::new(Algorithm::EdDSA);
    ed.kid = Some(kid.clone());
    refused(&app, &jsonwebtoken::encode(&ed, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap()).await;
    let real_header = signed.access.split('.').next().unwrap();

    // A tampered payload under the real signature.
    let mut tampered = claims_of(&signed.access);
    tampered["roles"] = json!(["admin"]);
    let sig = signed.access.split('.').nth(2).unwrap();
    let body = URL_SAFE_NO_PAD.encode(tampered.to_string());
    refused(&app, &format!("{real_header}.{body}.{sig}")).await;

    // Really signed, but for another audience, or expired.
    let real = JwtKeys::new(&app.state.keys.signing, &claims.iss, "someone-else").unwrap();
    refused(&app, &real.sign(&Claims { aud: "someone-else".into(), ..claims.clone() }).unwrap()).await;
    let now = chrono::Utc::now().timestamp();
    let real = JwtKeys::new(&app.state.keys.signing, &claims.iss, &claims.aud).unwrap();
    refused(&app, &real.sign(&Claims { iat: now - 1000, exp: now - 60, ..claims.clone() }).unwrap()).await;
    refused(&app, &real.sign(&Claims { iss: "https://evil.example".into(), ..claims.clone() }).unwrap()).await;
    assert_eq!(app.sessions(&real.sign(&claims).unwrap()).await.status(), 200, "the control passes");

    let missing = app.client.get(app.url("/v1/auth/sessions")).send().await.unwrap();
    assert_eq!(missing.headers()["www-authenticate"], r#"Bearer realm="tresor""#);
    assert_problem(missing, 401, "unauthenticated").await;
    let bad = app.sessions("not.a.jwt").await;
    assert_eq!(bad.headers()["www-authenticate"], r#"Bearer realm="tresor", error="invalid_token""#);
    assert_problem(bad, 401, "invalid-token").await;
}
