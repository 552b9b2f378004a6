//! JSON request bodies: the endpoints' body types and the personal-data parsers behind them, on
//! any bytes. Refusals are fine; panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tresor::http::{accounts, auth, ledger_request, me, registration, transfers};
use tresor::identity::fields::{Address, DateOfBirth, Email, FullName, Phone, Ssn};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<registration::RegisterRequest>(data);
    let _ = serde_json::from_slice::<auth::LoginRequest>(data);
    let _ = serde_json::from_slice::<me::ProfileUpdate>(data);
    let _ = serde_json::from_slice::<transfers::TransferBody>(data);
    let _ = serde_json::from_slice::<ledger_request::MoneyBody>(data);
    let _ = serde_json::from_slice::<accounts::OpenAccount>(data);
    let _ = tresor::http::optional_json::<serde_json::Value>(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = Address::parse(&value);
        if let Some(text) = value.as_str() {
            let _ = Email::parse(text);
            let _ = FullName::parse(text);
            let _ = Phone::parse(text);
            let _ = DateOfBirth::parse(text);
            let _ = Ssn::parse(text);
        }
    }
});
