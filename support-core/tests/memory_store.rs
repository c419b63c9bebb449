//! The in-memory store passes the adapter conformance suite.

support_core::conformance_suite!(async { support_core::MemoryStore::new() });
