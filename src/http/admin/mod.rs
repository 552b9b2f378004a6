//! `/v1/admin/*`: staff endpoints. Each states its permission in its signature
//! (`Requires<perm::…>`, see `crate::authz`), so none can be reached without it, MFA enabled,
//! and a session that passed MFA.

pub mod exports;
pub mod kyc;
pub mod records;
pub mod users;

use serde::Deserialize;

use crate::error::{ApiError, Problem};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

pub fn limit(raw: Option<u32>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(50),
        Some(limit @ 1..=200) => Ok(limit),
        Some(_) => Err(Problem::bad_request("limit must be between 1 and 200").into()),
    }
}

pub fn cursor<T: std::str::FromStr>(raw: Option<&str>) -> Result<Option<T>, ApiError> {
    raw.map(|c| c.parse::<T>().map_err(|_| Problem::bad_request("cursor is not one this server issued").into()))
        .transpose()
}
