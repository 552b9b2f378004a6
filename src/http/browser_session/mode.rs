//! Where a sign-in puts the refresh token: in the body (the default) or in the cookie.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionMode {
    /// The refresh token is in the JSON answer (mobile apps, servers).
    #[default]
    Body,
    /// The refresh token is in the `__Host-tresor_refresh` cookie (browsers).
    Cookie,
}

/// `?session=cookie` on the sign-in and refresh endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// `cookie`: the refresh token travels as the `__Host-tresor_refresh` cookie.
    pub session: Option<SessionMode>,
}

impl SessionMode {
    /// The mode asked for by the query or the body; `cookie` in either wins.
    pub fn of(query: Option<Self>, body: Option<Self>) -> Self {
        if query == Some(Self::Cookie) || body == Some(Self::Cookie) { Self::Cookie } else { Self::Body }
    }
}
