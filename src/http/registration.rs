//! `POST /v1/auth/register` and `POST /v1/auth/verify-email`.

use actix_web::{HttpResponse, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::identity::fields::{Address, DateOfBirth, Email, Fields, FullName, Phone, Ssn};
use crate::identity::users::Registration;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple", "full_name": "Ada Lovelace", "phone": "+14155550123", "date_of_birth": "1990-12-10", "ssn": "123-45-6789", "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "62701", "country": "US"}}))]
pub struct RegisterRequest {
    email: String,
    #[schema(value_type = String, min_length = 12, max_length = 128)]
    password: SecretString,
    full_name: String,
    /// E.164, e.g. `+14155550123`.
    phone: Option<String>,
    /// `YYYY-MM-DD`; 18 or older.
    date_of_birth: Option<String>,
    /// `AAA-GG-SSSS`.
    ssn: Option<String>,
    /// A single line, or `{line1, line2?, city, region?, postal_code, country}`.
    #[schema(value_type = Option<crate::identity::fields::Address>)]
    address: Option<serde_json::Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registered {
    user_id: Uuid,
    /// Always `pending_verification`.
    status: &'static str,
}

impl RegisterRequest {
    fn parse(self, state: &AppState) -> Result<Registration, Problem> {
        let mut fields = Fields::default();
        let email = fields.take("email", Email::parse(&self.email));
        let full_name = fields.take("full_name", FullName::parse(&self.full_name));
        let phone = self.phone.map(|p| fields.take("phone", Phone::parse(&p)));
        let date_of_birth = self.date_of_birth.map(|d| fields.take("date_of_birth", DateOfBirth::parse(&d)));
        let ssn = self.ssn.map(|s| fields.take("ssn", Ssn::parse(&s)));
        let address = self.address.map(|a| fields.take("address", Address::parse(&a)));
        let personal = [self.email.as_str(), self.full_name.as_str()];
        for problem in state.identity.password_problems(&self.password, &personal) {
            fields.add("password", problem);
        }
        fields.finish()?;
        let (Some(email), Some(full_name)) = (email, full_name) else {
            return Err(Problem::bad_request("email and full_name are required"));
        };
        Ok(Registration {
            email,
            password: self.password,
            full_name,
            phone: phone.flatten(),
            date_of_birth: date_of_birth.flatten(),
            ssn: ssn.flatten(),
            address: address.flatten(),
        })
    }
}

/// Register a customer. A taken email gets the same answer; its owner is emailed instead.
#[utoipa::path(
    tag = "identity",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = Registered, description = "a verification email is on its way"),
        (status = 400, body = Problem, description = "invalid fields, named in `errors`"),
        (status = 403, body = Problem, description = "`registration-closed`: invite-only"),
        (status = 429, body = Problem, description = "`rate-limited`"),
    )
)]
#[post("/v1/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, Error> {
    state.identity.ensure_registration_open()?;
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::Register, &ip, Some(&ip)).await?;
    let registration = body.into_inner().parse(&state)?;
    let user_id = state.identity.register(registration, &peer.device(None)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/v1/users/me"))
        .json(Registered { user_id, status: "pending_verification" }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "<token from the verification email>"}))]
pub struct TokenRequest {
    /// The token from the emailed link.
    token: String,
}

/// Confirm an email address with the token from the verification email.
#[utoipa::path(
    tag = "identity",
    request_body = TokenRequest,
    responses((status = 204), (status = 400, body = Problem, description = "`invalid-token`"))
)]
#[post("/v1/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, Error> {
    state.identity.verify_email(body.token.trim(), &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
