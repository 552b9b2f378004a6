//! Amounts in JSON bodies: only positive integers of minor units are accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tresor::ledger::money::Amount;

fuzz_target!(|data: &[u8]| {
    if let Ok(amount) = serde_json::from_slice::<Amount>(data) {
        let text = serde_json::to_string(&amount).expect("an amount serializes");
        let value: i64 = text.parse().expect("an amount is an integer");
        assert!(value > 0, "{text}");
    }
});
