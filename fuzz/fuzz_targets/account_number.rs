//! Account numbers as a transfer names them: any text parses or is refused; what parses prints
//! back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tresor::ledger::number::AccountNumber;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(number) = text.parse::<AccountNumber>() {
        let again: AccountNumber = number.as_str().parse().expect("a parsed number parses again");
        assert_eq!(again.as_str(), number.as_str());
    }
});
