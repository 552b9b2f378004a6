//! Staff and accounts: search, read with owner and history, freeze, unfreeze, close.

use serde_json::json;
use tresor::identity::Role;

use crate::support::backoffice::slug;
use crate::support::ledger::{api_slug, assert_books_balance, balance, deposit, money, slug as outcome_slug};
use crate::support::spawn_app;

#[actix_web::test]
async fn staff_find_any_account_by_number_or_owner_email_and_read_it_with_its_owner_and_history() {
    let app = spawn_app().await;
    let staff = app.staff_with_mfa(&[Role::Support]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    app.transferred(&alice, &a, &b, 2_500).await;

    let email_part = &alice.email[..alice.email.find('@').unwrap()];
    let (status, page) = app.staff_get(&format!("/v1/admin/accounts?q={email_part}"), &staff.token).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], a.id.to_string());
    assert_eq!(page["items"][0]["owner"]["email"], alice.email);
    let (_, by_number) =
        app.staff_get(&format!("/v1/admin/accounts?q={}", &b.number.as_str()[..8]), &staff.token).await;
    assert!(by_number["items"].as_array().unwrap().iter().any(|i| i["id"] == b.id.to_string()));
    let (_, by_owner) =
        app.staff_get(&format!("/v1/admin/accounts?user_id={}", bob.caller.user_id), &staff.token).await;
    assert_eq!(by_owner["items"].as_array().unwrap().len(), 1);
    let (_, frozen) = app.staff_get("/v1/admin/accounts?status=frozen", &staff.token).await;
    assert!(frozen["items"].as_array().unwrap().is_empty());
    let (status, bad) = app.staff_get("/v1/admin/accounts?status=melted", &staff.token).await;
    assert_eq!((status, slug(&bad)), (400, "invalid-request"));

    let (status, one) = app.staff_get(&format!("/v1/admin/accounts/{}", a.id), &staff.token).await;
    assert_eq!(status, 200);
    assert_eq!(one["balance"], 7_500);
    assert_eq!(one["available_balance"], 7_500);
    assert_eq!(one["owner"]["user_id"], alice.caller.user_id.to_string());
    assert_eq!(one["owner"]["email"], alice.email);
    let (status, missing) = app.staff_get(&format!("/v1/admin/accounts/{}", uuid::Uuid::now_v7()), &staff.token).await;
    assert_eq!((status, slug(&missing)), (404, "not-found"));

    let today = chrono::Utc::now().date_naive();
    let path = format!("/v1/admin/accounts/{}/transactions?from={today}&to={today}", a.id);
    let (status, history) = app.staff_get(&path, &staff.token).await;
    assert_eq!(status, 200, "{history}");
    let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["transfer_out", "deposit"]);
    let yesterday = today.pred_opt().unwrap();
    let (_, none) =
        app.staff_get(&format!("/v1/admin/accounts/{}/transactions?to={yesterday}", a.id), &staff.token).await;
    assert!(none["items"].as_array().unwrap().is_empty());
    let (status, bad) =
        app.staff_get(&format!("/v1/admin/accounts/{}/transactions?from=soon", a.id), &staff.token).await;
    assert_eq!((status, slug(&bad)), (400, "invalid-request"));
    assert!(bad["errors"]["from"].is_array(), "{bad}");
    // The customer's own list takes the same range.
    let own = app.state.ledger.history(&alice.caller, a.id, 10, None, &Default::default()).await.unwrap();
    assert_eq!(own.items.len(), 2);

    let reads = app.audit_actions("admin.accounts.read").await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["actor_id"], staff.id);
    assert_eq!(app.audit_actions("admin.accounts.list").await.len(), 4);
    assert_eq!(app.audit_actions("admin.accounts.transactions").await.len(), 2);
}

#[actix_web::test]
async fn a_frozen_account_refuses_debits_and_takes_credits_until_it_is_unfrozen() {
    let app = spawn_app().await;
    let staff = app.staff_with_mfa(&[Role::Admin]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 5_000).await;
    // The account's actor caches it before the freeze.
    assert_eq!(app.state.ledger.withdraw(&alice.caller, a.id, money(100), None).await.unwrap().status, 201);

    let freeze = format!("/v1/admin/accounts/{}/freeze", a.id);
    let (status, missing) = app.staff_post(&freeze, &staff.token, json!({})).await;
    assert_eq!((status, slug(&missing)), (400, "invalid-request"));
    assert!(missing["errors"]["reason"].is_array());
    let (status, long) = app.staff_post(&freeze, &staff.token, json!({"reason": "x".repeat(501)})).await;
    assert_eq!((status, slug(&long)), (400, "invalid-request"));
    let (status, frozen) = app.staff_post(&freeze, &staff.token, json!({"reason": "suspected fraud"})).await;
    assert_eq!(status, 200, "{frozen}");
    assert_eq!(frozen["status"], "frozen");
    let (status, again) = app.staff_post(&freeze, &staff.token, json!({"reason": "twice"})).await;
    assert_eq!((status, slug(&again)), (409, "already-frozen"));

    let refused = app.state.ledger.withdraw(&alice.caller, a.id, money(100), None).await.unwrap();
    assert_eq!((refused.status, outcome_slug(&refused)), (422, "account-frozen".into()));
    let refused = app.state.ledger.transfer(&alice.caller, a.id, b.number.as_str(), money(100), None).await.unwrap();
    assert_eq!(outcome_slug(&refused), "account-frozen");
    assert_eq!(deposit(&app, &alice.caller, &a, 50).await.status, 201, "credits still land");
    app.transferred(&bob, &b, &a, 1_000).await;
    assert_eq!(balance(&app, &alice.caller, &a).await, 10_950);

    let (status, open) = app
        .staff_post(&format!("/v1/admin/accounts/{}/unfreeze", a.id), &staff.token, json!({"reason": "cleared"}))
        .await;
    assert_eq!((status, open["status"].as_str()), (200, Some("open")));
    let (status, not_frozen) = app
        .staff_post(&format!("/v1/admin/accounts/{}/unfreeze", a.id), &staff.token, json!({"reason": "again"}))
        .await;
    assert_eq!((status, slug(&not_frozen)), (409, "not-frozen"));
    // The actor saw the account frozen; the unfreeze counts at once.
    assert_eq!(app.state.ledger.withdraw(&alice.caller, a.id, money(100), None).await.unwrap().status, 201);

    let audit = app.audit_actions("account.frozen").await;
    assert_eq!(audit[0]["old"]["status"], "open");
    assert_eq!(audit[0]["new"]["status"], "frozen");
    assert_eq!(audit[0]["new"]["reason"], "suspected fraud");
    assert_eq!(audit[0]["actor_id"], staff.id);
    assert_eq!(app.audit_actions("account.unfrozen").await[0]["old"]["status"], "frozen");
    let mails = app.mail_to(&alice.email, "account_status_changed").await;
    let statuses: Vec<&str> = mails.iter().map(|m| m.data["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["frozen", "open"]);
    assert!(!mails.iter().any(|m| m.data.to_string().contains("suspected fraud")), "the staff reason stays internal");
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn closing_moves_the_balance_atomically_and_a_closed_account_refuses_everything() {
    let app = spawn_app().await;
    let staff = app.staff_with_mfa(&[Role::Admin]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 7_000).await;
    let a2 = app.funded(&alice, "USD", 100).await;
    let a_eur = app.funded(&alice, "EUR", 0).await;
    let b = app.funded(&bob, "USD", 0).await;
    let close = format!("/v1/admin/accounts/{}/close", a.id);

    let (status, body) = app.staff_post(&close, &staff.token, json!({"reason": "customer left"})).await;
    assert_eq!((status, slug(&body)), (422, "balance-not-zero"));
    for (target, expected) in [(&b, "not-same-owner"), (&a_eur, "currency-mismatch"), (&a, "same-account")] {
        let body = json!({"reason": "customer left", "transfer_to_account_number": target.number.as_str()});
        let (status, refused) = app.staff_post(&close, &staff.token, body).await;
        assert_eq!((status, slug(&refused)), (422, expected), "{refused}");
    }
    let (status, malformed) =
        app.staff_post(&close, &staff.token, json!({"reason": "x", "transfer_to_account_number": "12"})).await;
    assert_eq!((status, slug(&malformed)), (400, "invalid-request"));
    let unused = tresor::ledger::number::AccountNumber::generate();
    let body = json!({"reason": "x", "transfer_to_account_number": unused.as_str()});
    let (status, nobody) = app.staff_post(&close, &staff.token, body).await;
    assert_eq!((status, slug(&nobody)), (422, "account-not-found"));
    assert_eq!(balance(&app, &alice.caller, &a).await, 7_000, "refusals move nothing");

    let body = json!({"reason": "customer left", "transfer_to_account_number": a2.number.as_str()});
    let (status, closed) = app.staff_post(&close, &staff.token, body).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!((closed["status"].as_str(), closed["balance"].as_i64()), (Some("closed"), Some(0)));
    assert_eq!(balance(&app, &alice.caller, &a2).await, 7_100);

    let refused = app.state.ledger.deposit(&alice.caller, a.id, money(10), None).await.unwrap();
    assert_eq!(outcome_slug(&refused), "account-closed");
    let refused = app.state.ledger.transfer(&bob.caller, b.id, a.number.as_str(), money(1), None).await;
    assert_eq!(refused.map(|o| outcome_slug(&o)).unwrap_or_else(api_slug), "account-closed");
    let (status, body) =
        app.staff_post(&format!("/v1/admin/accounts/{}/freeze", a.id), &staff.token, json!({"reason": "x"})).await;
    assert_eq!((status, slug(&body)), (422, "account-closed"));
    let (status, body) = app.staff_post(&close, &staff.token, json!({"reason": "again"})).await;
    assert_eq!((status, slug(&body)), (422, "account-closed"));

    let empty = format!("/v1/admin/accounts/{}/close", a_eur.id);
    assert_eq!(
        app.staff_post(&empty, &staff.token, json!({"reason": "unused"})).await.0,
        200,
        "a zero balance needs no target"
    );
    let audit = app.audit_actions("account.closed").await;
    assert_eq!(audit[0]["old"], json!({"status": "open", "balance": 7_000}));
    assert_eq!(audit[0]["new"]["moved"]["to"], a2.number.as_str());
    assert_books_balance(&app).await;
}
