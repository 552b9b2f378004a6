//! A postal address: personal data, sealed at rest.

use serde::{Deserialize, Serialize};

/// A postal address: one free-form line or structured parts, returned as it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Address {
    /// One free-form line, e.g. `1 Main St, Springfield`.
    Text(String),
    Structured(PostalAddress),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    pub country: String,
}

impl Address {
    pub fn parse(raw: &serde_json::Value) -> Result<Self, String> {
        let address = match raw {
            serde_json::Value::String(text) => Self::Text(text.trim().to_owned()),
            serde_json::Value::Object(_) => Self::Structured(
                serde_json::from_value(raw.clone())
                    .map_err(|e| format!("must be {{line1, line2?, city, region?, postal_code, country}}: {e}"))?,
            ),
            _ => return Err("must be a string or an object {line1, city, postal_code, country, ...}".to_owned()),
        };
        address.check()?;
        Ok(address)
    }

    fn check(&self) -> Result<(), String> {
        let bounded = |value: &str, name: &str, max: usize| {
            let value = value.trim();
            if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
                Err(format!("{name} must be 1 to {max} characters without control characters"))
            } else {
                Ok(())
            }
        };
        match self {
            Self::Text(text) => bounded(text, "the address", 300),
            Self::Structured(parts) => {
                bounded(&parts.line1, "line1", 200)?;
                parts.line2.as_deref().map_or(Ok(()), |l| bounded(l, "line2", 200))?;
                bounded(&parts.city, "city", 100)?;
                parts.region.as_deref().map_or(Ok(()), |r| bounded(r, "region", 100))?;
                bounded(&parts.postal_code, "postal_code", 20)?;
                let country = parts.country.as_bytes();
                if country.len() != 2 || !country.iter().all(u8::is_ascii_uppercase) {
                    return Err("country must be an ISO 3166-1 alpha-2 code such as US".to_owned());
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_text_or_structured() {
        assert!(Address::parse(&serde_json::json!("1 Main St, Springfield")).is_ok());
        let parts =
            serde_json::json!({"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"});
        assert!(matches!(Address::parse(&parts), Ok(Address::Structured(_))));
        let lower = serde_json::json!({"line1": "1 Main St", "city": "X", "postal_code": "1", "country": "us"});
        assert!(Address::parse(&lower).is_err());
        assert!(Address::parse(&serde_json::json!({"line1": "x", "town": "y"})).is_err());
        assert!(Address::parse(&serde_json::json!(5)).is_err());
        assert!(Address::parse(&serde_json::json!("")).is_err());
    }
}
