//! # support-store-postgres
//!
//! Not yet written. This crate will hold the PostgreSQL implementation of
//! `support_core::SupportStore` (sqlx, embedded migrations, the same schema as the SQLite store)
//! and a `Broadcaster` that publishes through `pg_notify`, so that several server processes on
//! one database deliver every event to every subscriber. Until then it exports nothing.
