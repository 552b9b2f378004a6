//! The back office's endpoints × every role × with and without MFA: exactly the combinations
//! the role bundles allow answer 2xx; every other one is 403 with the right slug and no data.

use reqwest::Method;
use serde_json::{Value, json};
use tresor::audit::Actor;
use tresor::authz::{Permission, bundle};
use tresor::identity::Role;
use tresor::reason::{REASON_MAX, Reason};
use uuid::Uuid;

use super::matrix::caller;
use crate::support::backoffice::{Customer, entry_id};
use crate::support::ledger::deposit;
use crate::support::{TestApp, spawn_app};

/// What an endpoint acts on: something shared, or something fresh for each allowed call (an
/// action that can be done once).
#[derive(Clone, Copy)]
enum Target {
    None,
    Account,
    User,
    Case,
    Notification,
    FreshAccount,
    FrozenAccount,
    FreshUser,
    FreshEntry,
    FreshApproval,
    FreshCase,
}

fn endpoints() -> Vec<(Method, &'static str, Target, Permission, Option<Value>)> {
    use Permission::*;
    use Target::*;
    let reason = Some(json!({"reason": "matrix"}));
    vec![
        (Method::GET, "/v1/admin/accounts", None, AccountsRead, Option::None),
        (Method::GET, "/v1/admin/accounts/{}", Account, AccountsRead, Option::None),
        (Method::GET, "/v1/admin/accounts/{}/transactions", Account, AccountsRead, Option::None),
        (Method::POST, "/v1/admin/accounts/{}/freeze", FreshAccount, AccountsManage, reason.clone()),
        (Method::POST, "/v1/admin/accounts/{}/unfreeze", FrozenAccount, AccountsManage, reason.clone()),
        (Method::POST, "/v1/admin/accounts/{}/close", FreshAccount, AccountsManage, reason.clone()),
        (Method::GET, "/v1/admin/users/{}/identity", User, PiiRead, Option::None),
        (Method::POST, "/v1/admin/users/{}/mfa/reset", FreshUser, MfaReset, reason.clone()),
        (Method::POST, "/v1/admin/transactions/{}/reverse", FreshEntry, TransactionsReverse, reason.clone()),
        (Method::GET, "/v1/admin/approvals", None, ApprovalsDecide, Option::None),
        (Method::POST, "/v1/admin/approvals/{}/approve", FreshApproval, ApprovalsDecide, Some(json!({}))),
        (Method::POST, "/v1/admin/approvals/{}/reject", FreshApproval, ApprovalsDecide, Some(json!({}))),
        (Method::GET, "/v1/admin/cases", None, CasesManage, Option::None),
        (Method::GET, "/v1/admin/cases/{}", Case, CasesManage, Option::None),
        (Method::POST, "/v1/admin/cases/{}/notes", Case, CasesManage, Some(json!({"text": "matrix"}))),
        (
            Method::POST,
            "/v1/admin/cases/{}/resolve",
            FreshCase,
            CasesManage,
            Some(json!({"outcome": "cleared", "note": "ok"})),
        ),
        (Method::POST, "/v1/admin/notifications/{}/ack", Notification, UsersRead, Option::None),
    ]
}

struct Fixtures {
    customer: Customer,
    account: Uuid,
    funded: tresor::ledger::account::Account,
    case: Uuid,
    notification: Uuid,
    requester: Uuid,
}

async fn new_case(app: &TestApp) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO cases (id, kind, status, summary, created_at) VALUES ($1, 'velocity', 'open', 'matrix', $2)",
    )
    .bind(id.to_string())
    .bind(tresor::db::time::to_db(tresor::db::time::now()))
    .execute(app.state.db.writer())
    .await
    .unwrap();
    id
}

async fn target(app: &TestApp, fixtures: &Fixtures, target: Target, fresh: bool) -> String {
    let reason = Reason::parse("reason", Some("matrix"), REASON_MAX).unwrap();
    let system = Actor::system();
    let id = match target {
        Target::None => return String::new(),
        Target::Account => fixtures.account,
        Target::User => fixtures.customer.caller.user_id,
        Target::Case => fixtures.case,
        Target::Notification => fixtures.notification,
        // A refused call never acts: the shared target will do.
        _ if !fresh => fixtures.account,
        Target::FreshAccount => app.funded(&fixtures.customer, "USD", 0).await.id,
        Target::FrozenAccount => {
            let account = app.funded(&fixtures.customer, "USD", 0).await;
            app.state.ledger.freeze(&system, account.id, &reason).await.unwrap();
            account.id
        }
        Target::FreshUser => Uuid::parse_str(&app.user_with_roles(&[Role::Customer]).await.id).unwrap(),
        Target::FreshEntry => entry_id(&deposit(app, &fixtures.customer.caller, &fixtures.funded, 10).await.body),
        Target::FreshApproval => {
            let user = Uuid::parse_str(&app.user_with_roles(&[Role::Customer]).await.id).unwrap();
            let requester = Actor { user_id: Some(fixtures.requester), ..Actor::system() };
            app.state.approvals.request_mfa_reset(&requester, user, &reason).await.unwrap().id
        }
        Target::FreshCase => new_case(app).await,
    };
    id.to_string()
}

#[actix_web::test]
async fn every_back_office_endpoint_answers_exactly_the_roles_that_hold_its_permission_with_mfa() {
    let app = spawn_app().await;
    let customer = app.customer().await;
    let funded = app.funded(&customer, "USD", 1_000).await;
    let account = app.funded(&customer, "USD", 0).await.id;
    let mut conn = app.state.db.writer().acquire().await.unwrap();
    let notification = tresor::notifications::notify(&mut conn, "kyc_submitted", "user", "x", "matrix").await.unwrap();
    drop(conn);
    let requester = Uuid::parse_str(&app.user_with_roles(&[Role::Admin]).await.id).unwrap();
    let fixtures = Fixtures { customer, account, funded, case: new_case(&app).await, notification, requester };
    let mut callers = Vec::new();
    for role in Role::ALL {
        for mfa in [false, true] {
            callers.push(caller(&app, role, mfa).await);
        }
    }
    let mut checked = 0;
    for caller in &callers {
        for (method, template, kind, permission, body) in endpoints() {
            let holds = bundle(caller.role).contains(&permission);
            let id = target(&app, &fixtures, kind, holds && caller.mfa).await;
            let path = template.replace("{}", &id);
            let response = app.send_authed(method.clone(), &path, &caller.token, body).await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let what = format!("{:?} mfa={} {method} {path} → {status} {text}", caller.role, caller.mfa);
            if holds && caller.mfa {
                assert!((200..300).contains(&status), "{what}");
            } else {
                assert_eq!(status, 403, "{what}");
                let problem: Value = serde_json::from_str(&text).unwrap();
                let slug = if holds { "/problems/mfa-required" } else { "/problems/forbidden" };
                assert_eq!(problem["type"], slug, "{what}");
                assert!(
                    !text.contains(&fixtures.customer.email) && !text.contains("matrix"),
                    "no data in a refusal: {what}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 10 * endpoints().len());
}
