//! A card's number and code appear in the issuing response and nowhere else: not in the
//! database (the SQLite file with its WAL, or a `pg_dump`), not in the server's log, not in any
//! later response.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::money::{NETWORK_KEY, with_network};
use crate::support::process::{Process, free_port, wait_ready};
use crate::support::spawn_app_with;

#[actix_web::test]
async fn pan_and_cvv_are_nowhere_at_rest_in_logs_or_later_responses() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(5_000, Value::Null).await;
    let port = free_port();
    let log = app.data_dir.path().join("serve.log");
    let mut command = crate::support::cli_command(app.data_dir.path(), &app.database.url);
    command
        .env("TRESOR__REDIS__PREFIX", &app.state.config.settings.redis.prefix)
        .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
        .env("TRESOR_PUBLIC_URL", &app.state.config.public_url)
        .env("TRESOR__CARDS__NETWORK_API_KEY", NETWORK_KEY)
        .env("TRESOR__JOBS__EMBEDDED", "false")
        .env("RUST_LOG", "debug")
        .arg("serve");
    let mut server = Process::start(&mut command, &log);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, Duration::from_secs(30)).await;

    // A second card, issued through the logged process, and a full authorization cycle.
    let issued = app
        .client
        .post(format!("{base}/v1/cards"))
        .bearer_auth(&holder.token)
        .json(&json!({"account_id": holder.account}))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let second: Value = issued.json().await.unwrap();
    let mut later = Vec::new();
    for card in [&holder.card, &second] {
        let body = json!({
            "pan": card["pan"], "expiry_month": card["expiry_month"], "expiry_year": card["expiry_year"],
            "cvv": card["cvv"], "amount": 100, "currency": "USD",
            "merchant": {"name": "Shop", "mcc": "5411", "country": "US"}
        });
        let (status, approved) = app
            .network_at(&base, "/v1/card-network/authorizations", Some(&uuid::Uuid::new_v4().to_string()), &body)
            .await;
        assert_eq!((status, approved["status"].as_str()), (201, Some("approved")), "{approved}");
        let capture = format!("/v1/card-network/authorizations/{}/capture", approved["id"].as_str().unwrap());
        let (status, posted) =
            app.network_at(&base, &capture, Some(&uuid::Uuid::new_v4().to_string()), &json!({"amount": 60})).await;
        assert_eq!(status, 201);
        later.push(approved.to_string());
        later.push(posted.to_string());
    }
    for path in [
        "/v1/cards".to_owned(),
        format!("/v1/accounts/{}/holds", holder.account),
        format!("/v1/accounts/{}/transactions", holder.account),
    ] {
        later.push(
            app.client
                .get(format!("{base}{path}"))
                .bearer_auth(&holder.token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    server.terminate();
    server.wait(Duration::from_secs(20)).await;
    app.state.audit.link_pending().await.unwrap();

    let mut haystacks = vec![("log", std::fs::read(&log).unwrap()), ("later responses", later.join("\n").into_bytes())];
    if app.database.is_postgres() {
        let dump = Command::new("pg_dump").arg(&app.database.url).output().unwrap();
        assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
        haystacks.push(("pg_dump", dump.stdout));
    } else {
        let mut files = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(bytes) = std::fs::read(app.data_dir.path().join(format!("tresor.db{suffix}"))) {
                files.extend(bytes);
            }
        }
        haystacks.push(("sqlite file", files));
    }
    assert!(String::from_utf8_lossy(&haystacks[0].1).contains("card authorization"), "the log was written");
    for card in [&holder.card, &second] {
        let (pan, cvv) = (card["pan"].as_str().unwrap(), card["cvv"].as_str().unwrap());
        let last4 = card["last4"].as_str().unwrap();
        let secrets = [
            pan.to_owned(),
            pan[6..].to_owned(),
            format!("\"cvv\":\"{cvv}\""),
            format!("cvv={cvv}"),
            format!("{pan}{cvv}"),
        ];
        for (name, bytes) in &haystacks {
            let text = String::from_utf8_lossy(bytes);
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{name} holds a card secret ({}…)",
                    &secret[..4.min(secret.len())]
                );
            }
            if *name == "sqlite file" || *name == "pg_dump" {
                assert!(text.contains(last4), "the last four digits are kept in clear");
            }
        }
    }
}

#[actix_web::test]
async fn key_rotation_re_seals_card_numbers_and_the_card_keeps_working() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(5_000, Value::Null).await;
    let sealed = || async {
        sqlx::query_scalar::<_, String>("SELECT pan_sealed FROM cards WHERE id = $1")
            .bind(holder.card_id())
            .fetch_one(app.state.db.reader())
            .await
            .unwrap()
    };
    let before = sealed().await;
    for args in [["keys", "generate", "--ring", "encryption"], ["keys", "rotate", "--ring", "encryption"]] {
        let out = app.cli(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        if args[1] == "rotate" {
            assert!(String::from_utf8_lossy(&out.stdout).contains("re-sealed 1 card numbers"));
        }
    }
    app.state.reload_keys().unwrap();
    let after = sealed().await;
    let active = app.state.keys.encryption.active().0.to_owned();
    assert_ne!(before, after);
    assert!(after.starts_with(&format!("v1:{active}:")), "{after}");
    assert_eq!(app.authorize(&holder, 100).await["status"], "approved");
}
