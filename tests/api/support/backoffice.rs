//! The back office: customers with accounts and money (through the ledger's service), staff
//! calls that answer a status and JSON, and transfers whose journal entry a test reverses.

use reqwest::Method;
use serde_json::Value;
use tresor::audit::Actor;
use tresor::identity::Role;
use tresor::ledger::account::Account;
use tresor::ledger::service::Caller;
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::ledger::{deposit, money, open};

/// A customer (a real user row, so staff see their email) and their ledger caller.
pub struct Customer {
    pub email: String,
    pub caller: Caller,
}

impl TestApp {
    pub async fn customer(&self) -> Customer {
        let user = self.user_with_roles(&[Role::Customer]).await;
        let user_id = Uuid::parse_str(&user.id).unwrap();
        Customer { email: user.email, caller: Caller { user_id, session_id: Uuid::now_v7(), actor: Actor::system() } }
    }

    /// An account of `customer` in `currency` holding `amount`.
    pub async fn funded(&self, customer: &Customer, currency: &str, amount: i64) -> Account {
        let account = open(self, &customer.caller, currency).await;
        if amount > 0 {
            assert_eq!(deposit(self, &customer.caller, &account, amount).await.status, 201);
        }
        account
    }

    /// Transfers `amount` from `from` to `to`; answers the journal entry's id.
    pub async fn transferred(&self, owner: &Customer, from: &Account, to: &Account, amount: i64) -> Uuid {
        let outcome =
            self.state.ledger.transfer(&owner.caller, from.id, to.number.as_str(), money(amount), None).await.unwrap();
        assert_eq!(outcome.status, 201, "{}", outcome.body);
        entry_id(&outcome.body)
    }

    /// A staff call: its status and JSON body (`Null` when empty).
    pub async fn staff(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let response = self.send_authed(method, path, token, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    pub async fn staff_post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.staff(Method::POST, path, token, Some(body)).await
    }

    pub async fn staff_get(&self, path: &str, token: &str) -> (u16, Value) {
        self.staff(Method::GET, path, token, None).await
    }

    /// Audit entries with `action`, oldest first (staged ones linked first).
    pub async fn audit_actions(&self, action: &str) -> Vec<Value> {
        self.state.audit.link_pending().await.unwrap();
        let rows: Vec<(Option<String>, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT actor_id, old_value, new_value FROM audit_log WHERE action = $1 ORDER BY seq")
                .bind(action)
                .fetch_all(self.state.db.reader())
                .await
                .unwrap();
        rows.into_iter()
            .map(|(actor, old, new)| {
                let parse =
                    |v: Option<String>| v.map(|v| serde_json::from_str::<Value>(&v).unwrap()).unwrap_or_default();
                serde_json::json!({"actor_id": actor, "old": parse(old), "new": parse(new)})
            })
            .collect()
    }
}

pub fn entry_id(body: &str) -> Uuid {
    let body: Value = serde_json::from_str(body).unwrap();
    Uuid::parse_str(body["id"].as_str().unwrap()).unwrap()
}

/// The problem slug of a JSON body.
pub fn slug(body: &Value) -> &str {
    body["type"].as_str().unwrap_or("").trim_start_matches("/problems/")
}
