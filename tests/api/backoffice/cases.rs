//! Cases: a flagged transfer opens one; staff assign, note and resolve it with an outcome that
//! acts through the same services as the endpoints.

use figment::providers::Serialized;
use serde_json::json;
use tresor::identity::Role;

use crate::support::backoffice::slug;
use crate::support::spawn_app_with;

#[actix_web::test]
async fn a_flagged_transfer_opens_a_case_that_staff_assign_note_and_resolve() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("ledger.review_threshold", 1_000))).await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let colleague = app.staff_with_mfa(&[Role::Support]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    app.transferred(&alice, &a, &b, 500).await;
    let flagged = app.transferred(&alice, &a, &b, 2_000).await;
    let second = app.transferred(&alice, &a, &b, 3_000).await;

    let (status, open) = app.staff_get("/v1/admin/cases?status=open", &support.token).await;
    assert_eq!(status, 200, "{open}");
    let items = open["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one case per flagged transfer");
    let case = items.iter().find(|c| c["transaction_id"] == flagged.to_string()).unwrap();
    assert_eq!((case["kind"].as_str(), case["status"].as_str()), (Some("large_transfer"), Some("open")));
    let id = case["id"].as_str().unwrap().to_owned();

    let (status, detail) = app.staff_get(&format!("/v1/admin/cases/{id}"), &support.token).await;
    assert_eq!(status, 200);
    assert_eq!(detail["transaction"]["amount"], 2_000);
    assert_eq!(detail["account"]["id"], a.id.to_string());
    assert_eq!(detail["account"]["owner"]["email"], alice.email);

    let customer = app.user_with_roles(&[Role::Customer]).await;
    let (status, refused) = app
        .staff_post(&format!("/v1/admin/cases/{id}/assign"), &support.token, json!({"assignee_id": customer.id}))
        .await;
    assert_eq!((status, slug(&refused)), (422, "invalid-assignee"));
    let (status, bad) =
        app.staff_post(&format!("/v1/admin/cases/{id}/assign"), &support.token, json!({"assignee_id": "x"})).await;
    assert_eq!(status, 400, "{bad}");
    let (status, assigned) = app
        .staff_post(&format!("/v1/admin/cases/{id}/assign"), &support.token, json!({"assignee_id": colleague.id}))
        .await;
    assert_eq!((status, assigned["assignee_id"].as_str()), (200, Some(colleague.id.as_str())));
    let (_, mine) = app.staff_get(&format!("/v1/admin/cases?assignee={}", colleague.id), &colleague.token).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    let (status, empty) =
        app.staff_post(&format!("/v1/admin/cases/{id}/notes"), &colleague.token, json!({"text": ""})).await;
    assert_eq!((status, slug(&empty)), (400, "invalid-request"));
    let (status, noted) = app
        .staff_post(&format!("/v1/admin/cases/{id}/notes"), &colleague.token, json!({"text": "called the customer"}))
        .await;
    assert_eq!((status, noted["notes"][0]["text"].as_str()), (200, Some("called the customer")));

    let resolve = format!("/v1/admin/cases/{id}/resolve");
    let (status, unknown) =
        app.staff_post(&resolve, &colleague.token, json!({"outcome": "forgotten", "note": "x"})).await;
    assert_eq!(status, 400, "{unknown}");
    let (status, resolved) = app
        .staff_post(&resolve, &colleague.token, json!({"outcome": "account_frozen", "note": "confirmed fraud"}))
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!((resolved["status"].as_str(), resolved["outcome"].as_str()), (Some("resolved"), Some("account_frozen")));
    assert_eq!(resolved["account"]["status"], "frozen");
    let (status, again) = app.staff_post(&resolve, &colleague.token, json!({"outcome": "cleared", "note": "x"})).await;
    assert_eq!((status, slug(&again)), (409, "case-resolved"));

    let other =
        items.iter().find(|c| c["transaction_id"] == second.to_string()).unwrap()["id"].as_str().unwrap().to_owned();
    let (status, resolved) = app
        .staff_post(
            &format!("/v1/admin/cases/{other}/resolve"),
            &support.token,
            json!({"outcome": "reversal_requested", "note": "undo"}),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    let pending: i64 =
        app.count("SELECT COUNT(*) FROM approval_requests WHERE kind = 'reversal' AND status = 'pending'").await;
    assert_eq!(pending, 1, "the reversal waits for four eyes");
    let (status, missing) = app.staff_get(&format!("/v1/admin/cases/{}", uuid::Uuid::now_v7()), &support.token).await;
    assert_eq!((status, slug(&missing)), (404, "not-found"));
    let resolutions = app.audit_actions("case.resolved").await;
    assert_eq!(resolutions.len(), 2);
    assert_eq!(resolutions[0]["old"]["status"], "open");
    assert_eq!(app.audit_actions("case.assigned").await[0]["new"]["assignee_id"], colleague.id);
}
