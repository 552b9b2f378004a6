//! Business metrics on `/metrics`: counters and bucketed histograms with HELP text, and the
//! back office's queue levels read at scrape time.

use tresor::identity::Role;

use crate::support::spawn_app;

#[actix_web::test]
async fn metrics_count_transfers_by_currency_and_show_the_back_office_queues() {
    let app = spawn_app().await;
    let staff = app.staff_with_mfa(&[Role::Admin]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "CHF", 10_000).await;
    let b = app.funded(&bob, "CHF", 0).await;
    let entry = app.transferred(&alice, &a, &b, 1_234).await;
    let (status, _) = app
        .staff_post(
            &format!("/v1/admin/transactions/{entry}/reverse"),
            &staff.token,
            serde_json::json!({"reason": "m"}),
        )
        .await;
    assert_eq!(status, 202);

    let text = app.metrics().await.text().await.unwrap();
    for line in [
        "# HELP ledger_transfers_total ",
        "# TYPE ledger_transfers_total counter",
        "ledger_transfers_total{currency=\"CHF\"}",
        "# HELP ledger_transfer_volume_minor_total ",
        "# TYPE ledger_transfer_amount_minor histogram",
        "ledger_transfer_amount_minor_bucket{currency=\"CHF\",le=\"10000\"}",
        "# HELP approvals_pending ",
        "# HELP cases_open ",
        "# HELP kyc_queue_oldest_age_seconds ",
        "# HELP kyc_queue_size ",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // Gauges are process-wide and other tests' servers scrape too: the level is there, a number.
    let pending = text.lines().find(|l| l.starts_with("approvals_pending ")).unwrap();
    assert!(pending["approvals_pending ".len()..].parse::<f64>().is_ok(), "{pending}");
    assert!(!text.contains("# TYPE ledger_transfer_amount_minor summary"));
}
