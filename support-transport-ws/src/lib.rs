//! # support-transport-ws
//!
//! Not yet written. This crate will hold a Pusher Channels protocol 7 server as an axum
//! `Router`: the websocket endpoint `/app/{key}`, `POST /broadcasting/auth` answered by
//! `support_core::Policy`, and Pusher's signed HTTP events API, with a local fan-out hub that
//! implements `support_core::Broadcaster`. Until then it exports nothing.
