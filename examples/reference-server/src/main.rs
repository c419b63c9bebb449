//! Run with: `cargo run --release --bin reference-server -- [--bind 127.0.0.1:8080] [--database-url sqlite://support.db]`
//!
//! The whole helpdesk in one process: the JSON API under `/api`, the Pusher-compatible
//! websocket server (`/app/{key}`, `/broadcasting/auth`, the signed HTTP API), and `/health`,
//! the browser UI (sign-in, the employee portal and the staff dashboard), all on one port. SQLite by default; `--database-url postgres://…` uses PostgreSQL, and
//! several processes on one database then deliver every event to every client.

mod accounts;
mod admin_users;
mod archive;
mod attachments;
mod audit;
mod auth;
mod cli;
mod demo_library;
mod logs;
mod metrics;
mod proxy;
mod sla;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use clap::Parser;
use ipnet::IpNet;
use support_core::{AccountDirectory, Broadcaster, SessionStore, SupportService, UserStore};
use support_store_postgres::{PgBroadcaster, PgBus, PgStore};
use support_store_sqlite::SqliteStore;
use support_transport_ws::{
    AppConfig, HttpLimits, HttpMetricsLayer, Rate, RateLimits, SupportChat, shutdown_signal,
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::accounts::Accounts;
use crate::auth::{
    AuthLimits, Identity, Passwords, Sessions, SignInThrottle, TokenGuard, UserEntry,
};
use crate::proxy::TrustedProxies;

/// The helpdesk server; `reference-server users …` manages its accounts.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Without a subcommand, the server runs.
    #[command(subcommand)]
    command: Option<cli::Command>,
    /// Address to listen on.
    #[arg(long, env = "SUPPORT_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// `sqlite://path` (created if missing), `sqlite::memory:`, or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://support.db",
        global = true
    )]
    database_url: String,
    /// A TOML users file (`[[user]] id, name, role, token`, optional `email`, `password_hash`)
    /// imported into the database at start-up: each user upserted, each token stored as an API
    /// token (a token revoked with `users token revoke` comes back at the next start while it
    /// stays in the file). Without it, and without accounts of its own in the database, the
    /// server seeds demo users and prints their tokens.
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
    /// A site that may embed the chat widget, call the API from its pages (CORS, bearer tokens
    /// only) and open the websocket, as the browser sends its origin
    /// (`https://portal.example.com`); repeat the flag for several, or give
    /// `SUPPORT_ALLOWED_ORIGINS` as a comma-separated list. This server's own pages are always
    /// allowed. Without any, no other site may embed the widget or call the API, and any
    /// origin may open the websocket.
    #[arg(
        long = "allowed-origin",
        value_name = "ORIGIN",
        env = "SUPPORT_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// A reverse proxy (address or network) whose `X-Forwarded-For` and `X-Forwarded-Proto`
    /// are believed: its requests count against the client it forwards. Repeatable; the
    /// environment variable takes a comma-separated list.
    #[arg(
        long = "trusted-proxy",
        env = "SUPPORT_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = TrustedProxies::parse
    )]
    trusted_proxies: Vec<IpNet>,
    /// Turn off every rate limit and per-address cap, for load tests and benchmarks
    /// (timeouts, size limits and bounded queues stay on).
    #[arg(long, env = "SUPPORT_NO_RATE_LIMITS")]
    no_rate_limits: bool,
    /// Failed sign-ins per minute per address (and per account, for a sign-in that names
    /// one); then 429 until the wait passes, even for the right credentials. 0: no limit
    /// (as for every rate below).
    #[arg(long, env = "SUPPORT_SIGN_IN_ATTEMPTS", default_value_t = AuthLimits::default().sign_in_failures.count)]
    sign_in_attempts: u32,
    /// Requests with a bearer token that proves nobody, per minute per address; then every
    /// request from there with an `Authorization` header is 429 until the wait passes.
    #[arg(long, env = "SUPPORT_FAILED_TOKENS_PER_MINUTE", default_value_t = AuthLimits::default().failed_tokens.count)]
    failed_tokens_per_minute: u32,
    /// Messages (chat, comments, notes) per user per minute.
    #[arg(long, env = "SUPPORT_MESSAGES_PER_MINUTE", default_value_t = RateLimits::default().messages_per_user.count)]
    messages_per_minute: u32,
    /// Ticket writes (opening one, staff changes) per user per minute.
    #[arg(long, env = "SUPPORT_TICKET_WRITES_PER_MINUTE", default_value_t = RateLimits::default().ticket_writes_per_user.count)]
    ticket_writes_per_minute: u32,
    /// `POST /broadcasting/auth` calls per user (or per address, for nobody) per minute.
    #[arg(long, env = "SUPPORT_CHANNEL_AUTHS_PER_MINUTE", default_value_t = RateLimits::default().channel_auth.count)]
    channel_auths_per_minute: u32,
    /// Events the Pusher HTTP API accepts per second (each event of a batch counts).
    #[arg(long, env = "SUPPORT_API_EVENTS_PER_SECOND", default_value_t = RateLimits::default().api_events_per_app.count)]
    api_events_per_second: u32,
    /// Seconds a request's head may take to arrive; a slower one is closed.
    #[arg(long, env = "SUPPORT_HEADER_TIMEOUT", value_name = "SECONDS",
        default_value_t = HttpLimits::default().header_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a request's body may take to arrive after its head; a slower one gets 408.
    #[arg(long, env = "SUPPORT_BODY_TIMEOUT", value_name = "SECONDS",
        default_value_t = HttpLimits::default().body_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Seconds a connection with no request in flight stays open (websockets are not idle).
    #[arg(long, env = "SUPPORT_IDLE_TIMEOUT", value_name = "SECONDS",
        default_value_t = HttpLimits::default().idle_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Open connections at most, websockets included; beyond, new ones are closed at once.
    /// Keep it above the 100,000 websockets one node holds and below `ulimit -n`.
    #[arg(long, env = "SUPPORT_MAX_CONNECTIONS", value_name = "N",
        default_value_t = HttpLimits::default().max_connections,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
    /// Open connections from one address at most (IPv6: one /64); 0 for no cap, as behind a
    /// reverse proxy, where every connection comes from the proxy.
    #[arg(long, env = "SUPPORT_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N",
        default_value_t = HttpLimits::default().max_connections_per_address.unwrap_or(0))]
    max_connections_per_address: usize,
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
    /// Sign-in by the host application's JWTs.
    #[command(flatten)]
    jwt: auth::JwtFlags,
    /// Uploads: where, how large, which types.
    #[command(flatten)]
    attachments: attachments::AttachmentFlags,
    /// SLA targets and their sweep.
    #[command(flatten)]
    sla: sla::SlaFlags,
    /// Archiving old closed tickets daily.
    #[command(flatten)]
    archive: archive::ArchiveFlags,
    /// `GET /metrics`: off unless one of these is given.
    #[command(flatten)]
    metrics: metrics::MetricsFlags,
    /// How the log is written: `text`, or `json` (one object per line, on stderr, for log
    /// shippers). The level comes from `RUST_LOG` (default `info`).
    #[arg(
        long,
        env = "SUPPORT_LOG_FORMAT",
        value_enum,
        default_value_t = logs::LogFormat::Text,
        global = true
    )]
    log_format: logs::LogFormat,
}

impl Args {
    /// The library's throttles, as the flags say.
    fn rate_limits(&self) -> RateLimits {
        if self.no_rate_limits {
            return RateLimits::off();
        }
        RateLimits {
            messages_per_user: Rate::per_minute(self.messages_per_minute),
            ticket_writes_per_user: Rate::per_minute(self.ticket_writes_per_minute),
            channel_auth: Rate::per_minute(self.channel_auths_per_minute),
            api_events_per_app: Rate::per_second(self.api_events_per_second),
            ..RateLimits::default()
        }
    }

    /// The sign-in and token throttles, as the flags say.
    fn auth_limits(&self) -> AuthLimits {
        if self.no_rate_limits {
            return AuthLimits::off();
        }
        AuthLimits {
            sign_in_failures: Rate::per_minute(self.sign_in_attempts),
            failed_tokens: Rate::per_minute(self.failed_tokens_per_minute),
        }
    }

    /// Whether per-address caps apply: `--no-rate-limits` turns the server's connections-per-
    /// address cap off with the throttles.
    fn per_address_caps(&self) -> bool {
        !self.no_rate_limits
    }

    /// What `serve` holds every connection to (`--no-rate-limits` lifts the per-address cap).
    fn http_limits(&self) -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: self.max_connections,
            max_connections_per_address: Some(self.max_connections_per_address)
                .filter(|&n| n > 0 && self.per_address_caps()),
        }
    }
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

/// Raises this process's soft open-files limit to its hard limit (a common soft limit is
/// 1,024, far below the connections one node holds; what a process may raise without
/// privilege), and answers the limit now in force.
fn raise_open_files() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// The development Pusher secret, refused on a network bind.
const DEV_SECRET: &str = "support-secret";

/// What a non-loopback bind must not run with: the development secret.
fn refuse_unsafe_exposure(args: &Args) -> Result<(), String> {
    if !args.bind.ip().is_loopback() && args.app_secret == DEV_SECRET {
        return Err(format!(
            "refusing to listen on {} with the development Pusher secret: set --app-secret \
             (PUSHER_APP_SECRET) to a secret of your own",
            args.bind
        ));
    }
    Ok(())
}

/// Whether the server runs in demo mode: `--demo`, or no `--users` and no account in the
/// store but the demo users. A non-loopback bind refuses demo mode nobody asked for (their
/// tokens are on the sign-in page for every visitor): there must be a users source, the
/// users file or accounts of the store's own (`reference-server users add`).
async fn demo_mode(args: &Args, users: &dyn UserStore) -> Result<bool, String> {
    if args.demo {
        return Ok(true);
    }
    if args.users.is_some() {
        return Ok(false);
    }
    let accounts = users
        .users()
        .await
        .map_err(|e| format!("cannot read the users: {e}"))?;
    if accounts.iter().any(|u| !auth::is_demo(u)) {
        return Ok(false);
    }
    if !args.bind.ip().is_loopback() {
        return Err(format!(
            "refusing to serve demo users on {}: anyone who reaches the sign-in page can sign \
             in as them. Create an admin (reference-server users add --role admin \
             --password-stdin …), give --users FILE, or --demo to serve them anyway",
            args.bind
        ));
    }
    Ok(true)
}

/// Imports the users file and seeds the demo users, as the flags and the store say: the demo
/// users and their fresh tokens in demo mode, `None` otherwise.
async fn import_users(
    args: &Args,
    users: &dyn UserStore,
) -> Result<Option<Vec<UserEntry>>, String> {
    let demo = demo_mode(args, users).await?;
    if let Some(path) = &args.users {
        auth::import_users_file(users, &auth::load_users_file(path)?).await?;
    }
    if demo {
        Ok(Some(auth::seed_demo(users).await?))
    } else {
        Ok(None)
    }
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

/// The database of `--database-url`: it holds the tickets, the users and the browser
/// sessions.
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

    /// What the `users` commands need: the users, the sessions, a password hasher, and on
    /// PostgreSQL the bus that tells every node to close a disabled user's websockets.
    async fn accounts(&self) -> Result<Accounts, String> {
        let notices: Option<Arc<dyn Broadcaster>> = match self {
            Database::Postgres(store) => Some(Arc::new(PgBroadcaster::new(store))),
            Database::Sqlite(_) => None,
        };
        Ok(Accounts {
            audit: self.audit(),
            notices,
            users: self.users(),
            sessions: self.sessions(),
            passwords: Passwords::new()
                .await
                .map_err(|e| format!("the password hasher: {e}"))?,
        })
    }

    /// The same store, for the audit records the server writes itself.
    fn audit(&self) -> audit::AuditTrail {
        audit::AuditTrail::new(self.store())
    }

    /// The same store, as the support store.
    fn store(&self) -> Arc<dyn support_core::SupportStore> {
        match self {
            Database::Sqlite(store) => store.clone(),
            Database::Postgres(store) => Arc::new(store.clone()),
        }
    }

    /// The service on this store for a maintenance command: it publishes no events (no
    /// websocket listens to this process) and knows no names.
    fn offline_service(&self) -> SupportService {
        SupportService::from_parts(
            self.store(),
            Arc::new(support_core::NoBroadcast),
            Arc::new(support_core::StaticDirectory::new([])),
        )
    }

    /// The same store, for the users and their API tokens.
    fn users(&self) -> Arc<dyn UserStore> {
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
    identity: Arc<Identity>,
) -> Result<SupportChat, String> {
    let app = AppConfig {
        allowed_origins: args.allowed_origins.clone(),
        rate_limits: args.rate_limits(),
        ..AppConfig::new(&args.app_id, &args.app_key, &args.app_secret)
    };
    let uploads = args.attachments.attachments(&args.database_url)?;
    let sla_targets = args.sla.targets()?;
    let chat = SupportChat::builder(app)
        .document(auth::describe_session)
        .attachments(uploads.clone());
    let chat = match database {
        // Events go out through NOTIFY; every node's listener, this one's included, feeds its
        // websocket hub, which closes its connections with 4200 when events may have been lost.
        Database::Postgres(store) => chat.bus(PgBus::new(&store)).store(store),
        Database::Sqlite(store) => chat.store(store),
    };
    // Names and roles from the store's users; one identity for the JSON API and channel auth.
    let chat = chat
        .directory(AccountDirectory::new(identity.users.clone()))
        .identify(identity)
        .start()
        .await
        .map_err(|e| format!("PostgreSQL listener: {e}"))?;
    args.attachments.start(chat.service(), &uploads);
    args.sla.start(chat.service(), sla_targets);
    args.archive.start(chat.service());
    Ok(chat)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    let done = match args.command.take() {
        // A command's stdout is its answer alone: the log goes to stderr.
        Some(command) => {
            logs::init(args.log_format, true);
            run_command(&args, command).await
        }
        None => {
            logs::init(args.log_format, false);
            run(args).await
        }
    };
    match done {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reference-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs a `users` or `maintenance` command on the database of `--database-url`.
async fn run_command(args: &Args, command: cli::Command) -> Result<(), String> {
    let database = Database::open(&args.database_url).await?;
    match command {
        cli::Command::Users { command } => {
            let accounts = database.accounts().await?;
            cli::run(&accounts, command).await
        }
        cli::Command::Maintenance { command } => {
            cli::maintain(&database.offline_service(), command).await
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    refuse_unsafe_exposure(&args)?;
    // Before anything records: the hub takes its metric handles when it is created.
    let metrics = metrics::Metrics::install(&args.metrics)?;
    let jwt = auth::JwtVerifier::from_flags(&args.jwt)?;
    let (session_key, key_source) =
        auth::session_key(&args.database_url, args.app_key_file.as_deref())?;
    let database = Database::open(&args.database_url).await?;
    let users = database.users();
    let demo = import_users(&args, &*users).await?;
    let sessions = Sessions::new(
        &session_key,
        database.sessions(),
        args.session_idle_timeout,
        args.session_lifetime,
    );
    let accounts = Accounts {
        audit: database.audit(),
        notices: None,
        users: users.clone(),
        sessions: database.sessions(),
        passwords: Passwords::new()
            .await
            .map_err(|e| format!("the password hasher: {e}"))?,
    };
    let identity = Arc::new(Identity::new(users, sessions.clone()).with_jwt(jwt.clone()));
    let chat = build(&args, database, identity.clone()).await?;
    if let Some(admin) = demo.iter().flatten().find(|e| e.role == "admin") {
        demo_library::seed(&**chat.service().store(), support_core::UserId(admin.id)).await?;
    }
    let auth_limits = args.auth_limits();
    let web = web::Web::new(
        identity.clone(),
        demo.clone(),
        &args.app_key,
        SignInThrottle::new(auth_limits.sign_in_failures),
        args.secure_cookies,
        accounts.passwords.clone(),
        accounts.audit.clone(),
    );
    let tokens = TokenGuard::new(auth_limits.failed_tokens);
    let embedding = web::Embedding::new(&args.app_key, &args.allowed_origins)?;

    // The browser authenticates by cookie: every state change it asks of the API or the
    // channel auth endpoint must carry the session's CSRF token (and the API's document says
    // so: see `build`).
    let admin_users = admin_users::router(admin_users::AdminUsers {
        identity: identity.clone(),
        accounts,
        service: chat.service().clone(),
    });
    let guarded = chat
        .router()
        .merge(admin_users)
        .layer(axum::middleware::from_fn_with_state(
            identity,
            auth::csrf_guard,
        ));
    // Pages of the `--allowed-origin` sites may call the API and channel auth with a bearer
    // token (the embedded widget's frame needs none of it: it is of this origin).
    let guarded = match embedding.cors() {
        Some(cors) => guarded.layer(cors),
        None => guarded,
    };
    // Outermost: who the client is (behind a trusted proxy, the one it forwards), then the
    // throttle on wrong bearer tokens, before anything looks at a token. Whatever answers
    // without saying how to cache (the guards' 419 and 429 too) is `no-store` and `nosniff`,
    // like the API's own answers; the assets keep their `no-cache`.
    let mut app = Router::new()
        .route("/health", get(health))
        .with_state(chat.service().clone())
        .merge(guarded)
        .merge(web::router(web))
        .merge(web::widget_router(embedding));
    // `/metrics` on the main port with `--metrics-token` alone; on its own listener with
    // `--metrics-bind`.
    let mut metrics_listener = None;
    if let Some(metrics) = &metrics {
        let router = metrics.router(chat.service().clone());
        match args.metrics.metrics_bind {
            None => app = app.merge(router),
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
                metrics_listener = Some((listener, router));
            }
        }
        // Every route by its template and status (inside the router: the matched path is
        // known there only).
        app = app.route_layer(HttpMetricsLayer::new());
    }
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            tokens,
            auth::bearer_guard,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            TrustedProxies::new(args.trusted_proxies.clone()),
            proxy::attribute,
        ));
    let open_files = raise_open_files();
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    // Secrets are printed only in demo mode on loopback, where they are development values.
    let show_secrets = demo.is_some() && args.bind.ip().is_loopback();
    println!("reference-server listening on http://{addr}");
    println!("  database: {}", args.database_url);
    println!(
        "  attachments: {} (at most {} bytes each)",
        args.attachments
            .location(&args.database_url)
            .unwrap_or_else(|| "in memory".to_owned()),
        args.attachments.max_upload_bytes
    );
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
    match open_files {
        Ok(limit) => {
            println!("  open files: {limit} (each connection takes one)");
            if limit < args.max_connections as u64 {
                tracing::warn!(
                    "{limit} open files allowed, --max-connections is {}: connections beyond \
                     the file limit wait in the accept queue (raise the hard limit, `ulimit -Hn`)",
                    args.max_connections
                );
            }
        }
        Err(e) => tracing::warn!("could not raise the open-files limit: {e}"),
    }
    match &jwt {
        Some(verifier) => println!(
            "  host app JWTs: {:?}, living {} at most",
            verifier.algorithm(),
            humantime::format_duration(args.jwt.jwt_max_lifetime)
        ),
        None => println!("  host app JWTs: off (no --jwt-secret or --jwt-public-key)"),
    }
    println!("  web UI: http://{addr}/login");
    match (&metrics_listener, &args.metrics.metrics_token) {
        (Some((listener, _)), token) => println!(
            "  metrics: http://{}/metrics{}",
            listener.local_addr().map_err(|e| e.to_string())?,
            if token.is_some() {
                " (bearer token)"
            } else {
                ""
            }
        ),
        (None, Some(_)) => println!("  metrics: http://{addr}/metrics (bearer token)"),
        (None, None) => println!("  metrics: off (--metrics-token or --metrics-bind)"),
    }
    if args.no_rate_limits {
        println!("  rate limits: off (--no-rate-limits)");
    }
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
    if let Some((listener, router)) = metrics_listener {
        let limits = args.http_limits();
        tokio::spawn(async move {
            if let Err(e) = support_transport_ws::serve(listener, router)
                .limits(limits)
                .await
            {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }

    // Every wait bounded (headers, bodies, idle connections) and connections capped; the peer
    // address (`ConnectInfo`) is what per-address limits count by. On SIGTERM or Ctrl-C:
    // websocket clients get 4200 (and reconnect at once), the bus listener stops, and requests
    // in flight finish.
    let serve = support_transport_ws::serve(listener, app)
        .limits(args.http_limits())
        .with_graceful_shutdown(chat.shutdown_when(shutdown_signal()));
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
