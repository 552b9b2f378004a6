//! Reversals: four eyes, the compensating entry linked both ways, refusals by slug.

use figment::providers::Serialized;
use serde_json::json;
use tresor::identity::Role;

use crate::support::backoffice::{entry_id, slug};
use crate::support::ledger::{assert_books_balance, balance, deposit, money};
use crate::support::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn a_reversal_needs_a_second_person_and_posts_a_compensating_entry_linked_both_ways() {
    let app = spawn_app().await;
    let (first, second) = (app.staff_with_mfa(&[Role::Admin]).await, app.staff_with_mfa(&[Role::Admin]).await);
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    let entry = app.transferred(&alice, &a, &b, 3_000).await;
    let reverse = format!("/v1/admin/transactions/{entry}/reverse");

    let (status, missing) = app.staff_post(&reverse, &first.token, json!({"reason": " "})).await;
    assert_eq!((status, slug(&missing)), (400, "invalid-request"));
    assert!(missing["errors"]["reason"].is_array());
    let (status, unknown) = app
        .staff_post(
            &format!("/v1/admin/transactions/{}/reverse", uuid::Uuid::now_v7()),
            &first.token,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!((status, slug(&unknown)), (404, "not-found"));

    let (status, request) = app.staff_post(&reverse, &first.token, json!({"reason": "sent by mistake"})).await;
    assert_eq!(status, 202, "{request}");
    assert_eq!((request["kind"].as_str(), request["status"].as_str()), (Some("reversal"), Some("pending")));
    assert_eq!(request["target"], entry.to_string());
    assert_eq!(request["requested_by"], first.id);
    let (status, twice) = app.staff_post(&reverse, &second.token, json!({"reason": "again"})).await;
    assert_eq!((status, slug(&twice)), (409, "approval-pending"));
    let (_, pending) = app.staff_get("/v1/admin/approvals?status=pending", &second.token).await;
    assert_eq!(pending["items"][0]["id"], request["id"]);

    let approve = format!("/v1/admin/approvals/{}/approve", request["id"].as_str().unwrap());
    let (status, own) = app.staff_post(&approve, &first.token, json!({})).await;
    assert_eq!((status, slug(&own)), (403, "same-approver"));
    let (status, reject_own) = app
        .staff_post(&format!("/v1/admin/approvals/{}/reject", request["id"].as_str().unwrap()), &first.token, json!({}))
        .await;
    assert_eq!((status, slug(&reject_own)), (403, "same-approver"));
    assert_eq!(balance(&app, &bob.caller, &b).await, 3_000, "nothing moves before the second person");

    let (status, approved) =
        app.staff_post(&approve, &second.token, json!({"note": "checked with the customer"})).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(
        (approved["status"].as_str(), approved["decided_by"].as_str()),
        (Some("approved"), Some(second.id.as_str()))
    );
    assert_eq!((balance(&app, &alice.caller, &a).await, balance(&app, &bob.caller, &b).await), (10_000, 0));
    let (status, decided) = app.staff_post(&approve, &second.token, json!({})).await;
    assert_eq!((status, slug(&decided)), (409, "approval-decided"));

    let history = app.state.ledger.history(&bob.caller, b.id, 10, None, &Default::default()).await.unwrap();
    let reversal = &history.items[0];
    assert_eq!(serde_json::to_value(reversal.kind).unwrap(), "reversal");
    assert_eq!((reversal.direction, reversal.amount, reversal.reverses), ("debit", 3_000, Some(entry)));
    assert_eq!(history.items[1].reversed_by, Some(reversal.id));
    let alice_side = app.state.ledger.history(&alice.caller, a.id, 10, None, &Default::default()).await.unwrap();
    assert_eq!((alice_side.items[0].direction, alice_side.items[0].reverses), ("credit", Some(entry)));
    assert_eq!(alice_side.items[1].reversed_by, Some(reversal.id));

    let (status, again) = app.staff_post(&reverse, &first.token, json!({"reason": "again"})).await;
    assert_eq!((status, slug(&again)), (409, "already-reversed"));
    let (status, of_reversal) = app
        .staff_post(&format!("/v1/admin/transactions/{}/reverse", reversal.id), &first.token, json!({"reason": "x"}))
        .await;
    assert_eq!((status, slug(&of_reversal)), (422, "reversal-not-reversible"));

    let decisions = app.audit_actions("approval.approved").await;
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        (decisions[0]["old"]["status"].as_str(), decisions[0]["actor_id"].as_str()),
        (Some("pending"), Some(second.id.as_str()))
    );
    assert_eq!(app.audit_actions("approval.requested").await[0]["new"]["reason"], "sent by mistake");
    assert_eq!(app.audit_actions("ledger.reversal").await[0]["new"]["reverses"], entry.to_string());
    let code = app.cli(&["ledger", "verify"]);
    assert!(code.status.success(), "{}", String::from_utf8_lossy(&code.stderr));
}

#[actix_web::test]
async fn a_reversal_the_credited_account_cannot_pay_stays_pending_with_insufficient_funds_and_can_be_rejected() {
    let app = spawn_app().await;
    let (first, second) = (app.staff_with_mfa(&[Role::Admin]).await, app.staff_with_mfa(&[Role::Admin]).await);
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 5_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    let entry = app.transferred(&alice, &a, &b, 4_000).await;
    assert_eq!(app.state.ledger.withdraw(&bob.caller, b.id, money(3_500), None).await.unwrap().status, 201);

    let (_, request) = app
        .staff_post(&format!("/v1/admin/transactions/{entry}/reverse"), &first.token, json!({"reason": "fraud"}))
        .await;
    let id = request["id"].as_str().unwrap().to_owned();
    let (status, short) = app.staff_post(&format!("/v1/admin/approvals/{id}/approve"), &second.token, json!({})).await;
    assert_eq!((status, slug(&short)), (422, "insufficient-funds"));
    let (_, pending) = app.staff_get("/v1/admin/approvals?status=pending", &second.token).await;
    assert_eq!(pending["items"][0]["id"], id.as_str(), "the request stays pending");
    assert_eq!(balance(&app, &bob.caller, &b).await, 500, "never negative");

    let (status, rejected) = app
        .staff_post(&format!("/v1/admin/approvals/{id}/reject"), &second.token, json!({"note": "recovered elsewhere"}))
        .await;
    assert_eq!((status, rejected["status"].as_str()), (200, Some("rejected")));
    let (status, late) = app.staff_post(&format!("/v1/admin/approvals/{id}/approve"), &second.token, json!({})).await;
    assert_eq!((status, slug(&late)), (409, "approval-decided"));
    assert_eq!(app.audit_actions("approval.rejected").await[0]["new"]["note"], "recovered elsewhere");
    let (status, unknown) = app
        .staff_post(&format!("/v1/admin/approvals/{}/approve", uuid::Uuid::now_v7()), &second.token, json!({}))
        .await;
    assert_eq!((status, slug(&unknown)), (404, "not-found"));
    let (status, bad_note) = app
        .staff_post(&format!("/v1/admin/approvals/{id}/reject"), &second.token, json!({"note": "x".repeat(501)}))
        .await;
    assert_eq!((status, slug(&bad_note)), (400, "invalid-request"));
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn reversals_at_or_below_the_threshold_post_at_once_for_deposits_withdrawals_and_transfers() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("approvals.reverse_above", 1_000))).await;
    let staff = app.staff_with_mfa(&[Role::Admin]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 0).await;
    let b = app.funded(&bob, "USD", 0).await;
    let deposited = entry_id(&deposit(&app, &alice.caller, &a, 1_000).await.body);
    let withdrawn = entry_id(&app.state.ledger.withdraw(&alice.caller, a.id, money(300), None).await.unwrap().body);
    let sent = app.transferred(&alice, &a, &b, 200).await;

    for (entry, kind_before) in [(sent, "transfer"), (withdrawn, "withdrawal"), (deposited, "deposit")] {
        let (status, posted) = app
            .staff_post(&format!("/v1/admin/transactions/{entry}/reverse"), &staff.token, json!({"reason": "test"}))
            .await;
        assert_eq!(status, 201, "{kind_before}: {posted}");
        assert_eq!(
            (posted["kind"].as_str(), posted["reverses"].as_str()),
            (Some("reversal"), Some(entry.to_string().as_str()))
        );
    }
    assert_eq!((balance(&app, &alice.caller, &a).await, balance(&app, &bob.caller, &b).await), (0, 0));
    let big = entry_id(&deposit(&app, &alice.caller, &a, 1_001).await.body);
    let (status, _) =
        app.staff_post(&format!("/v1/admin/transactions/{big}/reverse"), &staff.token, json!({"reason": "big"})).await;
    assert_eq!(status, 202, "above the threshold needs four eyes");
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn ledger_verify_names_a_reversal_that_does_not_undo_its_original() {
    let app = spawn_app().await;
    let alice = app.customer().await;
    let a = app.funded(&alice, "USD", 0).await;
    let first = entry_id(&deposit(&app, &alice.caller, &a, 100).await.body);
    let second = entry_id(&deposit(&app, &alice.caller, &a, 100).await.body);
    assert_books_balance(&app).await;
    // A forged link: a deposit does not undo another deposit.
    sqlx::query("INSERT INTO reversals (entry_id, reverses, created_at) VALUES ($1, $2, $3)")
        .bind(second.to_string())
        .bind(first.to_string())
        .bind(tresor::db::time::to_db(tresor::db::time::now()))
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let cli = app.cli(&["ledger", "verify"]);
    assert_eq!(cli.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&cli.stdout).contains("does not net its original"),
        "{}",
        String::from_utf8_lossy(&cli.stdout)
    );
    let changed =
        sqlx::query("UPDATE reversals SET reverses = $1").bind(second.to_string()).execute(app.state.db.writer()).await;
    assert!(changed.is_err(), "reversals are insert-only");
}
