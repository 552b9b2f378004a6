//! Staff users: users with roles (signed in, or with MFA enabled), the authorization check
//! endpoint, and authenticated requests of any method.

use serde_json::Value;
use tresor::audit::Actor;
use tresor::identity::Role;
use tresor::identity::fields::{Email, FullName};
use tresor::identity::users::ProvisionedUser;

use crate::support::TestApp;
use crate::support::identity::{PASSWORD, SignedIn, TestUser, unique_email};

impl TestApp {
    /// A verified user with `roles` and the standard password, created as the operator would.
    pub async fn user_with_roles(&self, roles: &[Role]) -> TestUser {
        let email = unique_email("staff");
        let account = ProvisionedUser {
            email: Email::parse(&email).unwrap(),
            full_name: FullName::parse("Grace Hopper").unwrap(),
            roles: roles.to_vec(),
            invite_by_email: false,
        };
        let created = self
            .state
            .identity
            .create_user(account, Some(PASSWORD.to_owned().into()), &Actor::system())
            .await
            .unwrap_or_else(|e| panic!("create user: {e}"));
        TestUser { id: created.user_id.to_string(), email, password: PASSWORD.to_owned() }
    }

    /// Signed in (password only) with `roles`.
    pub async fn signed_in_with_roles(&self, roles: &[Role]) -> SignedIn {
        let user = self.user_with_roles(roles).await;
        self.sign_in(user).await
    }

    pub async fn authz_check(&self, token: &str, permission: &str) -> Value {
        let response =
            self.post_authed("/v1/authz/check", token, &serde_json::json!({ "permission": permission })).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// A staff member with MFA on, signed in through the MFA step.
pub struct StaffMember {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub async fn staff_with_mfa(&self, roles: &[Role]) -> StaffMember {
        let signed = self.signed_in_with_roles(roles).await;
        let (id, email) = (signed.user.id.clone(), signed.user.email.clone());
        let mut user = self.enable_mfa(signed).await;
        let token = self.sign_in_with_mfa(&mut user).await;
        StaffMember { id, email, token }
    }

    pub async fn send_authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self.client.request(method, self.url(path)).bearer_auth(token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.unwrap()
    }
}
