//! Type sniffing of an upload's first bytes: any bytes give a kind or a reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tresor::documents::sniff::sniff(data);
});
