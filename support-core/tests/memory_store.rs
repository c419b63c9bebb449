//! The in-memory store passes the adapter conformance suite, the session store suite and the user store suite.

support_core::conformance_suite!(async { support_core::MemoryStore::new() });
support_core::session_conformance_suite!(async { support_core::MemoryStore::new() });
support_core::user_conformance_suite!(async { support_core::MemoryStore::new() });
