//! The in-memory store passes the adapter conformance suite and the session store suite.

support_core::conformance_suite!(async { support_core::MemoryStore::new() });
support_core::session_conformance_suite!(async { support_core::MemoryStore::new() });
