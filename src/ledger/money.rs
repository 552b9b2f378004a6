//! Money at the edge: a strictly positive amount in minor units and an ISO 4217 currency.
//! Floats never get near money: JSON numbers with a fraction or exponent are refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A positive amount of minor units (cents): what a deposit, withdrawal or transfer moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    pub fn new(minor_units: i64) -> Result<Self, &'static str> {
        if minor_units > 0 { Ok(Self(minor_units)) } else { Err("amount must be a positive integer of minor units") }
    }

    pub fn minor_units(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only JSON integers: 10.5, 1e3, "10" and numbers beyond i64 are refused by i64 itself.
        let raw = i64::deserialize(deserializer)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .minimum(Some(1))
            .description(Some("Minor units (cents), a positive integer"))
            .into()
    }
}

impl utoipa::ToSchema for Amount {}

/// An ISO 4217 currency code, validated against the standard's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn code(self) -> &'static str {
        self.0.code()
    }
}

impl FromStr for Currency {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        iso_currency::Currency::from_code(code)
            .map(Self)
            .ok_or_else(|| format!("{code:?} is not an ISO 4217 currency code (e.g. \"USD\")"))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO 4217 currency code"))
            .examples(["USD"])
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_integers_only() {
        assert_eq!(serde_json::from_str::<Amount>("250").unwrap().minor_units(), 250);
        for bad in ["0", "-5", "10.5", "1e3", "\"10\"", "9223372036854775808", "null"] {
            assert!(serde_json::from_str::<Amount>(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn currencies_are_iso_4217_codes() {
        assert_eq!("USD".parse::<Currency>().unwrap().code(), "USD");
        assert_eq!("JPY".parse::<Currency>().unwrap().to_string(), "JPY");
        for bad in ["usd", "XYZ", "", "DOLLARS"] {
            assert!(bad.parse::<Currency>().is_err(), "{bad} must be refused");
        }
    }
}
