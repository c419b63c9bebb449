//! Any bytes a client can put in a text frame: parsing answers, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = support_transport_ws::protocol::parse(text);
    }
});
