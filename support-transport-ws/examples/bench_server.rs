//! Run with: `cargo run --release -p support-transport-ws --example bench_server -- --bind 127.0.0.1:6001`
//!
//! A standalone server for load tests (`benches/ws-vs-sockudo.sh`, the `loadgen` binary of
//! `support-benches`): the crate's router with one app, nothing else.
//!
//! **BENCHMARK ONLY — NOT FOR PRODUCTION.** Its `/broadcasting/auth` lets *anyone* join *any*
//! `private-*` channel (and refuses presence channels): there is no user, no session, no
//! policy. A real embedder hands `router` a `ServiceAuthorizer` over its sessions instead.
//!
//! The app's credentials come from flags or from the environment variables sockudo reads for
//! its default app (`SOCKUDO_DEFAULT_APP_ID`, `_KEY`, `_SECRET`), with sockudo's sample values
//! as defaults, so one set of variables configures both servers of a side-by-side run.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use clap::Parser;
use support_transport_ws::{
    AppConfig, ChannelAuthorizer, Decision, HttpLimits, Hub, JoinRequest, RateLimits, router,
    shutdown_signal,
};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "support-transport-ws for load tests (allows every private channel)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:6001")]
    bind: SocketAddr,
    /// Pusher app id.
    #[arg(long, env = "SOCKUDO_DEFAULT_APP_ID", default_value = "app-id")]
    app_id: String,
    /// Pusher app key.
    #[arg(long, env = "SOCKUDO_DEFAULT_APP_KEY", default_value = "app-key")]
    app_key: String,
    /// Pusher app secret.
    #[arg(
        long,
        env = "SOCKUDO_DEFAULT_APP_SECRET",
        default_value = "app-secret",
        hide_env_values = true
    )]
    app_secret: String,
    /// Runtime worker threads (default: one per CPU).
    #[arg(long)]
    workers: Option<usize>,
}

/// Allows every private channel: the load generator signs its own subscriptions with the
/// secret, so this is only reached by clients that ask the auth endpoint.
struct AllowPrivate;

#[async_trait]
impl ChannelAuthorizer for AllowPrivate {
    async fn decide(&self, request: JoinRequest<'_>) -> Decision {
        if request.channel.starts_with("private-") {
            Decision::Allow { member: None }
        } else {
            Decision::Forbidden
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.workers {
        runtime.worker_threads(n);
    }
    runtime.build()?.block_on(serve(args))
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut app = AppConfig::new(args.app_id, args.app_key, args.app_secret);
    // A load test: no throttles (the events API would take 100 events a second).
    app.rate_limits = RateLimits::off();
    let hub = Hub::new(app);
    let app = router(hub.clone(), Arc::new(AllowPrivate));
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    eprintln!(
        "bench_server: listening on {} (pid {}); every private channel is allowed",
        listener.local_addr()?,
        std::process::id()
    );
    // The crate's own server, as an embedder would run it, without the per-address cap: the
    // load comes from a few addresses.
    let limits = HttpLimits {
        max_connections_per_address: None,
        ..HttpLimits::default()
    };
    support_transport_ws::serve(listener, app)
        .limits(limits)
        .with_graceful_shutdown(async move {
            // Ctrl-C or SIGTERM (what the bench script sends).
            shutdown_signal().await;
            hub.shutdown();
        })
        .await?;
    Ok(())
}
