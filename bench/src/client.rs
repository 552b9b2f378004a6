//! The few API calls the load needs, per docs/api.md.

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub struct Api {
    http: reqwest::Client,
    base: String,
    network_key: String,
}

/// A card as issued: what an authorization presents.
pub struct Card {
    pub pan: String,
    pub cvv: String,
    pub expiry_month: i64,
    pub expiry_year: i64,
}

impl Api {
    pub fn new(base: &str, connections: usize, network_key: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(connections).build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), network_key: network_key.to_owned() })
    }

    /// Issues a card on the account.
    pub async fn issue_card(&self, token: &str, account: &str) -> anyhow::Result<Card> {
        let response = self.post("/v1/cards", Some(token), &json!({"account_id": account}), None).await?;
        let card = Self::expect(response, "issue card").await?;
        Ok(Card {
            pan: card["pan"].as_str().context("pan")?.to_owned(),
            cvv: card["cvv"].as_str().context("cvv")?.to_owned(),
            expiry_month: card["expiry_month"].as_i64().context("expiry_month")?,
            expiry_year: card["expiry_year"].as_i64().context("expiry_year")?,
        })
    }

    /// One card authorization as the network sends it; returns the status code (0 when the
    /// request failed on the wire, 402 for a 201 that declined).
    pub async fn authorize(&self, card: &Card, amount: i64) -> u16 {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({
            "pan": card.pan, "cvv": card.cvv, "expiry_month": card.expiry_month, "expiry_year": card.expiry_year,
            "amount": amount, "currency": "USD", "merchant": {"name": "Bench Shop", "mcc": "5411", "country": "US"}
        });
        match self.post("/v1/card-network/authorizations", Some(&self.network_key), &body, Some(&key)).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if status == 201 && body["status"] != "approved" { 402 } else { status }
            }
            Err(_) => 0,
        }
    }

    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        key: Option<&str>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await
    }

    async fn expect(response: reqwest::Response, what: &str) -> anyhow::Result<Value> {
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{what} answered {status}: {body}");
        }
        Ok(body)
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let response = self.post("/v1/auth/login", None, &json!({"email": email, "password": password}), None).await?;
        let body = Self::expect(response, "login").await?;
        body["access_token"].as_str().map(str::to_owned).context("login returned no access_token")
    }

    /// Opens a USD checking account; returns its id and number.
    pub async fn open_account(&self, token: &str) -> anyhow::Result<(String, String)> {
        let body = json!({"kind": "checking", "currency": "USD"});
        let response = self.post("/v1/accounts", Some(token), &body, None).await?;
        let account = Self::expect(response, "open account").await?;
        let id = account["id"].as_str().context("account id")?.to_owned();
        let number = account["number"].as_str().context("account number")?.to_owned();
        Ok((id, number))
    }

    pub async fn deposit(&self, token: &str, account: &str, amount: i64) -> anyhow::Result<()> {
        let key = uuid::Uuid::new_v4().to_string();
        let path = format!("/v1/accounts/{account}/deposits");
        let response = self.post(&path, Some(token), &json!({"amount": amount}), Some(&key)).await?;
        Self::expect(response, "deposit").await.map(|_| ())
    }

    /// One transfer; returns the status code (0 when the request failed on the wire).
    pub async fn transfer(&self, token: &str, from: &str, to_number: &str, amount: i64) -> u16 {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({"from_account_id": from, "to_account_number": to_number, "amount": amount});
        match self.post("/v1/transfers", Some(token), &body, Some(&key)).await {
            Ok(response) => {
                let status = response.status().as_u16();
                // Drain the body so the connection goes back to the pool.
                let _ = response.bytes().await;
                status
            }
            Err(_) => 0,
        }
    }
}
