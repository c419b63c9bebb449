//! Run with: `cargo run --release --bin reference-server -- [--bind 127.0.0.1:8080] [--database-url sqlite://support.db]`
//!
//! The whole helpdesk in one process: the JSON API under `/api`, the Pusher-compatible
//! websocket server (`/app/{key}`, `/broadcasting/auth`, the signed HTTP API), and `/health`,
//! the browser UI (sign-in, the employee portal and the staff dashboard), all on one port. SQLite by default; `--database-url postgres://…` uses PostgreSQL, and
//! several processes on one database then deliver every event to every client.

mod auth;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use clap::Parser;
use support_core::{SessionStore, StaticDirectory, SupportService};
use support_store_postgres::{PgBus, PgStore};
use support_store_sqlite::SqliteStore;
use support_transport_ws::{AppConfig, SupportChat, shutdown_signal};

use crate::auth::{Identity, Sessions, Users};

/// The helpdesk server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "SUPPORT_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// `sqlite://path` (created if missing), `sqlite::memory:`, or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://support.db")]
    database_url: String,
    /// A TOML users file (`[[user]] id, name, role, token`); without it demo users are created
    /// and their tokens printed.
    #[arg(long, env = "SUPPORT_USERS")]
    users: Option<PathBuf>,
    /// Pusher app id.
    #[arg(long, env = "PUSHER_APP_ID", default_value = "support")]
    app_id: String,
    /// Pusher app key (public: clients connect to `/app/{key}`).
    #[arg(long, env = "PUSHER_APP_KEY", default_value = "support-key")]
    app_key: String,
    /// Pusher app secret (signs channel auth and HTTP API requests). The default is for
    /// development: on a non-loopback `--bind` the server refuses to start with it.
    #[arg(
        long,
        env = "PUSHER_APP_SECRET",
        default_value = DEV_SECRET,
        hide_env_values = true,
        hide_default_value = true
    )]
    app_secret: String,
    /// The file holding the key that signs browser sessions (generated there on first start).
    /// Default: beside the SQLite database; `support-app.key` with PostgreSQL. Several nodes
    /// share one key with `SUPPORT_APP_KEY` (the key itself) or one file.
    #[arg(long, env = "SUPPORT_APP_KEY_FILE")]
    app_key_file: Option<PathBuf>,
    /// Serve the demo users (whose tokens the sign-in page hands to every visitor) on a
    /// non-loopback `--bind` too; without `--users` and without this, such a bind is refused.
    #[arg(long, env = "SUPPORT_DEMO")]
    demo: bool,
    /// The server is reached over HTTPS: the session cookie is `__Host-support_session`,
    /// `Secure`.
    #[arg(long, env = "SUPPORT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// How long a browser session may go unused before it ends: seconds, or a duration such
    /// as `2h`, `30m`, `90s`.
    #[arg(
        long,
        env = "SUPPORT_SESSION_IDLE_TIMEOUT",
        default_value = "2h",
        value_parser = parse_duration
    )]
    session_idle_timeout: Duration,
    /// How long a browser session lasts at most, however busy: seconds or a duration.
    #[arg(
        long,
        env = "SUPPORT_SESSION_LIFETIME",
        default_value = "12h",
        value_parser = parse_duration
    )]
    session_lifetime: Duration,
}

/// A duration flag: whole seconds (`7200`) or a humantime duration (`2h`, `1h 30m`), from one
/// second to a year.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("{e}: give seconds, or a duration such as 2h, 30m or 90s"))?,
    };
    if duration < Duration::from_secs(1) {
        return Err("give at least one second".into());
    }
    if duration > Duration::from_secs(366 * 24 * 60 * 60) {
        return Err("give at most a year".into());
    }
    Ok(duration)
}

/// How often sessions that are over are removed from the store.
const PURGE_EVERY: Duration = Duration::from_secs(10 * 60);

/// The development Pusher secret, refused on a network bind.
const DEV_SECRET: &str = "support-secret";

/// What a non-loopback bind must not run with: the development secret, or demo users nobody
/// asked for (their tokens are on the sign-in page for every visitor).
fn refuse_unsafe_exposure(args: &Args) -> Result<(), String> {
    if args.bind.ip().is_loopback() {
        return Ok(());
    }
    if args.app_secret == DEV_SECRET {
        return Err(format!(
            "refusing to listen on {} with the development Pusher secret: set --app-secret \
             (PUSHER_APP_SECRET) to a secret of your own",
            args.bind
        ));
    }
    if args.users.is_none() && !args.demo {
        return Err(format!(
            "refusing to serve demo users on {}: anyone who reaches the sign-in page can sign \
             in as them. Give --users FILE, or --demo to serve them anyway",
            args.bind
        ));
    }
    Ok(())
}

/// Removes the sessions that are over, at start and every [`PURGE_EVERY`], for as long as
/// the process runs (a lookup ignores them anyway; this keeps the table small).
async fn purge_sessions(sessions: Sessions) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        match sessions.purge().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "purged sessions that are over"),
            Err(e) => tracing::warn!("could not purge sessions: {e}"),
        }
    }
}

async fn health(State(service): State<SupportService>) -> (StatusCode, &'static str) {
    match service.store().ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable"),
    }
}

/// The database of `--database-url`: it holds the tickets and the browser sessions.
enum Database {
    Sqlite(Arc<SqliteStore>),
    Postgres(PgStore),
}

impl Database {
    async fn open(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = PgStore::connect(url)
                .await
                .map_err(|e| format!("PostgreSQL: {e}"))?;
            Ok(Database::Postgres(store))
        } else {
            let store = SqliteStore::open(url)
                .await
                .map_err(|e| format!("SQLite: {e}"))?;
            Ok(Database::Sqlite(Arc::new(store)))
        }
    }

    /// The same store, for the sessions.
    fn sessions(&self) -> Arc<dyn SessionStore> {
        match self {
            Database::Sqlite(store) => store.clone(),
            Database::Postgres(store) => Arc::new(store.clone()),
        }
    }
}

/// Support chat on the database: SQLite alone, or PostgreSQL with its NOTIFY bus to the other
/// nodes on the same database.
async fn build(
    args: &Args,
    database: Database,
    directory: StaticDirectory,
    identity: Arc<Identity>,
) -> Result<SupportChat, String> {
    let chat = SupportChat::builder(AppConfig::new(
        &args.app_id,
        &args.app_key,
        &args.app_secret,
    ))
    .document(auth::describe_session);
    let chat = match database {
        // Events go out through NOTIFY; every node's listener, this one's included, feeds its
        // websocket hub, which closes its connections with 4200 when events may have been lost.
        Database::Postgres(store) => chat.bus(PgBus::new(&store)).store(store),
        Database::Sqlite(store) => chat.store(store),
    };
    // One identity for the JSON API and channel auth.
    chat.directory(directory)
        .identify(identity)
        .start()
        .await
        .map_err(|e| format!("PostgreSQL listener: {e}"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reference-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    refuse_unsafe_exposure(&args)?;
    let (users, demo) = match &args.users {
        Some(path) => (Users::load(path)?, None),
        None => {
            let (users, entries) = Users::demo();
            (users, Some(entries))
        }
    };
    let directory = users.directory();
    let (session_key, key_source) =
        auth::session_key(&args.database_url, args.app_key_file.as_deref())?;
    let database = Database::open(&args.database_url).await?;
    let sessions = Sessions::new(
        &session_key,
        database.sessions(),
        args.session_idle_timeout,
        args.session_lifetime,
    );
    let identity = Arc::new(Identity {
        users,
        sessions: sessions.clone(),
    });
    let chat = build(&args, database, directory, identity.clone()).await?;
    let web = web::Web::new(
        identity.clone(),
        demo.clone().unwrap_or_default(),
        &args.app_key,
        args.secure_cookies,
    );

    // The browser authenticates by cookie: every state change it asks of the API or the
    // channel auth endpoint must carry the session's CSRF token (and the API's document says
    // so: see `build`).
    let guarded = chat.router().layer(axum::middleware::from_fn_with_state(
        identity,
        auth::csrf_guard,
    ));
    let app = Router::new()
        .route("/health", get(health))
        .with_state(chat.service().clone())
        .merge(guarded)
        .merge(web::router(web));
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    // Secrets are printed only in demo mode on loopback, where they are development values.
    let show_secrets = demo.is_some() && args.bind.ip().is_loopback();
    println!("reference-server listening on http://{addr}");
    println!("  database: {}", args.database_url);
    let secret = if show_secrets {
        args.app_secret.as_str()
    } else {
        "(not shown)"
    };
    println!(
        "  pusher app: id={} key={} secret={secret}",
        args.app_id, args.app_key
    );
    match key_source {
        auth::KeySource::Environment => println!("  session key: from SUPPORT_APP_KEY"),
        auth::KeySource::File { path, generated } => println!(
            "  session key: {}{}",
            path.display(),
            if generated { " (generated now)" } else { "" }
        ),
        auth::KeySource::Ephemeral => {
            println!("  session key: made for this process (sign-ins end with it)")
        }
    }
    println!(
        "  sessions: kept in the database; end after {} unused, {} at most",
        humantime::format_duration(args.session_idle_timeout),
        humantime::format_duration(args.session_lifetime)
    );
    println!("  web UI: http://{addr}/login");
    if let Some(entries) = demo {
        if show_secrets {
            println!("  demo users (Authorization: Bearer <token>, or sign in on the web UI):");
            for u in entries {
                println!("    {:>3} {:<15} {:<9} {}", u.id, u.name, u.role, u.token);
            }
        } else {
            tracing::warn!(
                "demo users can sign in from the login page by anyone who reaches {addr} (--demo)"
            );
        }
    }

    // After the banner: what it logs must not come before the "listening" line.
    tokio::spawn(purge_sessions(sessions));

    // On SIGTERM or Ctrl-C: websocket clients get 4200 (and reconnect at once), the bus
    // listener stops, and requests in flight finish.
    let serve =
        axum::serve(listener, app).with_graceful_shutdown(chat.shutdown_when(shutdown_signal()));
    serve.await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_seconds_or_humantime() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        assert_eq!(parse_duration("7200"), Ok(h(2)));
        assert_eq!(parse_duration("2h"), Ok(h(2)));
        assert_eq!(parse_duration(" 1h 30m "), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        for refused in ["0", "0s", "500ms", "two hours", "-5", "", "400days"] {
            assert!(parse_duration(refused).is_err(), "{refused:?}");
        }
    }
}
