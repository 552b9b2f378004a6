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

const EXPECTED: &str = "amount must be a positive integer of minor units (cents), e.g. 1050 for 10.50";

/// Accepts JSON integers only; 10.5, 1e3, "10", null and numbers beyond i64 are refused with a
/// message that names the field, so the client knows what to fix.
struct AmountVisitor;

impl serde::de::Visitor<'_> for AmountVisitor {
    type Value = Amount;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Amount, E> {
        Amount::new(value).map_err(|_| E::custom(format!("{EXPECTED}; got {value}")))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Amount, E> {
        let value = i64::try_from(value).map_err(|_| E::custom(format!("{EXPECTED}; got a number too large")))?;
        self.visit_i64(value)
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Amount, E> {
        Err(E::custom(format!("{EXPECTED}; got {value}, which is not an integer")))
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AmountVisitor)
    }
}

impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(i64::MAX))
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

    /// `minor` units written for people: `1050` USD is `10.50 USD`, `1050` JPY is `1050 JPY`.
    pub fn display(self, minor: i64) -> String {
        let exponent = u32::from(self.0.exponent().unwrap_or(0));
        if exponent == 0 {
            return format!("{minor} {}", self.code());
        }
        let unit = 10_i64.pow(exponent);
        let sign = if minor < 0 { "-" } else { "" };
        let (whole, fraction) = (minor.unsigned_abs() / unit as u64, minor.unsigned_abs() % unit as u64);
        format!("{sign}{whole}.{fraction:0width$} {}", self.code(), width = exponent as usize)
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

    #[test]
    fn amounts_display_with_the_currency_s_minor_unit() {
        let (usd, jpy): (Currency, Currency) = ("USD".parse().unwrap(), "JPY".parse().unwrap());
        assert_eq!(usd.display(1050), "10.50 USD");
        assert_eq!(usd.display(7), "0.07 USD");
        assert_eq!(usd.display(-1050), "-10.50 USD");
        assert_eq!(jpy.display(1050), "1050 JPY");
    }
}
