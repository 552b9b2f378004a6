//! Cards and the card network over HTTP: a customer with a funded account and a card, and the
//! network's calls (with its key and an Idempotency-Key).

use serde_json::{Value, json};

use crate::support::TestApp;

/// The card network's key every money test configures.
pub const NETWORK_KEY: &str = "test-network-key-0123456789";

pub fn with_network(figment: figment::Figment) -> figment::Figment {
    use figment::providers::Serialized;
    figment
        .merge(Serialized::default("cards.network_api_key", NETWORK_KEY))
        .merge(Serialized::default("rate_limits.transfers", "off"))
}

/// A customer with one funded account and one card on it.
pub struct Cardholder {
    pub token: String,
    pub user_id: String,
    pub email: String,
    pub account: String,
    pub number: String,
    pub card: Value,
}

impl Cardholder {
    pub fn card_id(&self) -> &str {
        self.card["id"].as_str().unwrap()
    }

    /// An authorization body for this card (valid expiry and CVV).
    pub fn purchase(&self, amount: i64) -> Value {
        json!({
            "pan": self.card["pan"], "expiry_month": self.card["expiry_month"],
            "expiry_year": self.card["expiry_year"], "cvv": self.card["cvv"],
            "amount": amount, "currency": "USD",
            "merchant": {"name": "Corner Shop", "mcc": "5411", "country": "US"}
        })
    }
}

impl TestApp {
    /// An approved customer with a USD account holding `funds` and a card with `limit`.
    pub async fn cardholder(&self, funds: i64, limit: Value) -> Cardholder {
        let signed = self.signed_in().await;
        self.approve_kyc(&signed.user.id).await;
        let opened =
            self.post_authed("/v1/accounts", &signed.access, &json!({"kind": "checking", "currency": "USD"})).await;
        assert_eq!(opened.status(), 201);
        let account: Value = opened.json().await.unwrap();
        let id = account["id"].as_str().unwrap().to_owned();
        if funds > 0 {
            let deposit = self
                .client
                .post(self.url(&format!("/v1/accounts/{id}/deposits")))
                .bearer_auth(&signed.access)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&json!({"amount": funds}))
                .send()
                .await
                .unwrap();
            assert_eq!(deposit.status(), 201);
        }
        let mut body = json!({"account_id": id});
        if !limit.is_null() {
            body["spending_limit"] = limit;
        }
        let issued = self.post_authed("/v1/cards", &signed.access, &body).await;
        assert_eq!(issued.status(), 201);
        let card: Value = issued.json().await.unwrap();
        Cardholder {
            token: signed.access,
            user_id: signed.user.id,
            email: signed.user.email,
            account: id,
            number: account["number"].as_str().unwrap().to_owned(),
            card,
        }
    }

    /// A card-network call at `base`: status and JSON body.
    pub async fn network_at(&self, base: &str, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(format!("{base}{path}")).bearer_auth(NETWORK_KEY).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn network(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        self.network_at(&self.address.clone(), path, key, body).await
    }

    /// Authorizes `amount` on the holder's card under a fresh key.
    pub async fn authorize(&self, holder: &Cardholder, amount: i64) -> Value {
        let key = uuid::Uuid::new_v4().to_string();
        let (status, body) =
            self.network("/v1/card-network/authorizations", Some(&key), &holder.purchase(amount)).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// The holder's account as they see it.
    pub async fn account_of(&self, holder: &Cardholder) -> Value {
        let response = self.get_authed(&format!("/v1/accounts/{}", holder.account), &holder.token).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn holds_of(&self, holder: &Cardholder) -> Vec<Value> {
        let response = self.get_authed(&format!("/v1/accounts/{}/holds", holder.account), &holder.token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }
}

/// The events of the outbox, oldest first: `(type, data)`.
pub async fn outbox(app: &TestApp) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT type, data FROM events ORDER BY id").fetch_all(app.state.db.reader()).await.unwrap();
    rows.into_iter().map(|(kind, data)| (kind, serde_json::from_str(&data).unwrap())).collect()
}

/// `(balance, available_balance)` of an account's JSON.
pub fn balances(account: &Value) -> (i64, i64) {
    (account["balance"].as_i64().unwrap(), account["available_balance"].as_i64().unwrap())
}
