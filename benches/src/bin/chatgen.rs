//! Run with: `cargo run --release -p support-benches --bin chatgen -- --port 8080 --users users.toml --server-pid PID`
//!
//! An end-to-end load generator for the real `reference-server` binary: chat messages POSTed
//! to its JSON API, delivered over its websockets. `benches/chat-e2e.sh` starts the server
//! afresh for each run and drives this.
//!
//! Set-up, from the server's users file (`[[user]] id, name, role, token`):
//!
//! - every employee opens a ticket (`POST /api/employee/portal/support`), connects a websocket
//!   (`/app/{key}?protocol=7`), has it authorized by `POST /broadcasting/auth` with its bearer
//!   token, and subscribes to `private-support.ticket.{id}` of its ticket;
//! - every staff user (roles `support`, `admin`, `hr`) connects one websocket and subscribes it
//!   to the channels of the tickets it serves: ticket `i` is served by staff `i % staff`;
//! - `--admin-watchers` more staff websockets subscribe to `private-support.admin`.
//!
//! The load: `--rate` messages a second for `--warmup` + `--duration` seconds on an open-loop
//! schedule (message `n` is due at `n / rate` s whatever happened to the others), taken by the
//! next free one of `--http-connections` keep-alive connections, each one request at a time.
//! Message `n` goes to ticket `(n / 2) % tickets`; even ones are the employee's
//! (`POST /api/employee/portal/support/{ticket}/chat`), odd ones its staff's
//! (`POST /api/admin/support/{ticket}/chat`), each with `X-Socket-ID` of the sender's own
//! socket, as Echo sends it (Laravel's `toOthers()`). The text carries the message's number and
//! send time.
//!
//! What is checked: each message must reach the other side's socket as `chat.message` on its
//! ticket's channel exactly once, and every admin watcher as `message.created`. A message that
//! was answered 201 and has not arrived by the end of `--drain` is lost; a second copy is a
//! duplicate; one on a socket or channel it was not meant for is misrouted, and one back on
//! its sender's own socket is counted apart as echoed (toOthers failed). Any answer but 201,
//! or none within `--request-timeout`, is an HTTP error.
//!
//! Latency: delivery latency runs from the moment the request is written (just before, to be
//! exact) to the moment the receiving socket's frame is parsed, recorded after the warmup.
//! Because the schedule is open-loop, a request that waits for a free connection is sent late;
//! so the same deliveries are also measured from their scheduled time, and the lag between
//! schedule and send is reported: when it stays small the client kept up and the two agree
//! (apart from the timer's 1 ms granularity, which the scheduled figure includes).
//!
//! With `--server-pid`, the server's CPU time over the load (sending and draining), its
//! resident memory at the end (`VmRSS`) and its peak (`VmHWM`) are read from `/proc`. The run
//! ends with a `RESULT key=value…` line for scripts.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures::{SinkExt, StreamExt};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use support_benches::http::{self, KeepAlive, Pool};
use support_benches::pace::Schedule;
use support_benches::process::{cpu_ms, load_average, peak_rss, raise_fd_limit, rss, show_kb};
use support_benches::pusher::{self, Frame, PONG, Ws, data_text};
use support_benches::tally::{Bitmap, Sharded, Windows};
use tokio_tungstenite::tungstenite::Message;

type Error = support_benches::BoxError;

/// Histogram shards: receivers record into `socket % SHARDS`.
const SHARDS: usize = 16;
/// The staff channel.
const ADMIN_CHANNEL: &str = "private-support.admin";

/// Command-line flags.
#[derive(Debug, Clone, Parser)]
#[command(
    about = "End-to-end chat load generator for reference-server: POST /chat at a fixed rate, \
             delivery measured on the other side's websocket"
)]
struct Args {
    /// Server host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port (API and websockets).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Pusher app key (the websocket path is `/app/{key}`).
    #[arg(long, env = "PUSHER_APP_KEY", default_value = "support-key")]
    app_key: String,
    /// The server's users file: every employee gets a ticket, every staff user a socket.
    #[arg(long)]
    users: PathBuf,
    /// Messages per second, employees' and staff's together.
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Seconds sent at the rate before measuring latency (losses count throughout).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds to wait after the last answer for deliveries still on their way.
    #[arg(long, default_value_t = 3.0)]
    drain: f64,
    /// Characters of each message's text (at least the marker's ~30).
    #[arg(long, default_value_t = 100)]
    payload: usize,
    /// Keep-alive HTTP connections sending messages, each one request at a time: enough that
    /// a slow answer does not hold up the messages due after it (the send lag shows whether
    /// they sufficed).
    #[arg(long, default_value_t = 256)]
    http_connections: usize,
    /// Seconds before a request counts as failed.
    #[arg(long, default_value_t = 5.0)]
    request_timeout: f64,
    /// Set-up requests and connections in flight at once.
    #[arg(long, default_value_t = 32)]
    setup_concurrency: usize,
    /// Extra staff sockets subscribed to `private-support.admin`, each of which must receive
    /// every message as `message.created`.
    #[arg(long, default_value_t = 1)]
    admin_watchers: usize,
    /// A run passes when nothing is lost, duplicated, misrouted, echoed or refused, no socket
    /// was disconnected, and at least this fraction of the rate was achieved.
    #[arg(long, default_value_t = 0.97)]
    min_achieved: f64,
    /// The server's pid, to read its resident memory and CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Runtime worker threads of the load generator (default: one per CPU).
    #[arg(long)]
    workers: Option<usize>,
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !(positive(args.rate) && positive(args.duration)) {
        return Err("--rate and --duration must be positive".into());
    }
    if !(40..=2000).contains(&args.payload) {
        return Err("--payload must be 40 to 2000 characters".into());
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.workers {
        runtime.worker_threads(n);
    }
    runtime.build()?.block_on(run(args))
}

// ----- the cast ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct UsersFile {
    #[serde(default)]
    user: Vec<User>,
}

#[derive(Debug, Clone, Deserialize)]
struct User {
    id: i64,
    role: String,
    token: String,
}

/// Everything the senders need, fixed at set-up.
struct Cast {
    tickets: Vec<Ticket>,
    staff: Vec<Sender>,
}

struct Ticket {
    id: i64,
    channel: Arc<str>,
    employee: Sender,
    employee_path: String,
    staff_path: String,
}

/// A user who sends, with the socket its messages must not come back to.
#[derive(Clone)]
struct Sender {
    token: Arc<str>,
    socket_id: Arc<str>,
}

/// Who a socket is, for checking what it receives.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// The employee of ticket `i`.
    Employee(usize),
    /// Staff `s`, serving tickets `i` with `i % staff == s`.
    Staff(usize),
    /// Admin watcher `w`.
    Watcher(usize),
}

/// The two sides of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Employee,
    Staff,
}

/// Message `seq`'s ticket and sender.
fn route(seq: u64, tickets: usize) -> (usize, Side) {
    let ticket = ((seq / 2) % tickets as u64) as usize;
    let side = if seq % 2 == 0 {
        Side::Employee
    } else {
        Side::Staff
    };
    (ticket, side)
}

async fn run(args: Args) -> Result<(), Error> {
    let text = std::fs::read_to_string(&args.users)
        .map_err(|e| format!("cannot read {}: {e}", args.users.display()))?;
    let users: UsersFile = toml::from_str(&text)?;
    let employees: Vec<User> = users
        .user
        .iter()
        .filter(|u| u.role == "employee")
        .cloned()
        .collect();
    let staff: Vec<User> = users
        .user
        .iter()
        .filter(|u| matches!(u.role.as_str(), "support" | "admin" | "hr"))
        .cloned()
        .collect();
    if employees.is_empty() || staff.is_empty() {
        return Err("the users file needs employees and staff (support, admin or hr)".into());
    }
    raise_fd_limit(
        "chatgen",
        employees.len() + staff.len() + args.admin_watchers + args.http_connections + 256,
    );
    let args = Arc::new(args);
    let pool = Arc::new(Pool::new(&args.host, args.port)?);
    let shared = Arc::new(Shared::new());

    let started = Instant::now();
    let rss_before = rss(args.server_pid);
    let (cast, sockets) = set_up(&args, &pool, &employees, &staff).await?;
    let cast = Arc::new(cast);
    let n_sockets = sockets.len();
    for (index, (ws, role)) in sockets.into_iter().enumerate() {
        tokio::spawn(listen(ws, shared.clone(), cast.clone(), role, index));
    }
    println!(
        "set up in {:.1} s: {} tickets, {} employee sockets, {} staff sockets ({} tickets each), {} admin watchers; server RSS {} -> {}",
        started.elapsed().as_secs_f64(),
        cast.tickets.len(),
        cast.tickets.len(),
        cast.staff.len(),
        cast.tickets.len().div_ceil(cast.staff.len()),
        args.admin_watchers,
        show_kb(rss_before),
        show_kb(rss(args.server_pid)),
    );
    // Let the set-up's own events (ticket.created…) go by.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let result = load(&args, &shared, &cast, n_sockets).await?;
    result.print(&args);
    Ok(())
}

/// Opens the tickets and the sockets; returns the cast and the subscribed sockets with their
/// roles.
async fn set_up(
    args: &Arc<Args>,
    pool: &Arc<Pool>,
    employees: &[User],
    staff: &[User],
) -> Result<(Cast, Vec<(Ws, Role)>), Error> {
    let addr = http::resolve(&args.host, args.port)?;
    let url = pusher::ws_url(&args.host, args.port, &args.app_key, "chatgen");
    let concurrency = args.setup_concurrency.max(1);

    // Tickets, and each employee's socket on its ticket's channel.
    let opened: Vec<Result<(Ticket, Ws), Error>> = futures::stream::iter(employees.iter())
        .map(|u| {
            let (pool, url) = (pool.clone(), url.clone());
            async move {
                let body = json!({
                    "subject": format!("chatgen ticket of user {}", u.id),
                    "description": "opened by the chat load generator",
                    "category": "it",
                    "priority": "medium",
                });
                let answer = pool
                    .json(
                        Method::POST,
                        "/api/employee/portal/support",
                        &u.token,
                        &body,
                        StatusCode::CREATED,
                    )
                    .await?;
                let id = answer
                    .get("data")
                    .unwrap_or(&answer)
                    .get("id")
                    .and_then(serde_json::Value::as_i64)
                    .ok_or_else(|| format!("no ticket id in {answer}"))?;
                let channel: Arc<str> = Arc::from(format!("private-support.ticket.{id}"));
                let (mut ws, socket_id) = pusher::connect(addr, &url, None).await?;
                join(&pool, &mut ws, &u.token, &socket_id, &channel).await?;
                let ticket = Ticket {
                    id,
                    channel,
                    employee: Sender {
                        token: Arc::from(u.token.as_str()),
                        socket_id: Arc::from(socket_id),
                    },
                    employee_path: format!("/api/employee/portal/support/{id}/chat"),
                    staff_path: format!("/api/admin/support/{id}/chat"),
                };
                Ok((ticket, ws))
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    let mut tickets = Vec::with_capacity(employees.len());
    let mut sockets = Vec::new();
    for (i, opened) in opened.into_iter().enumerate() {
        let (ticket, ws) = opened.map_err(|e| format!("employee {i}: {e}"))?;
        tickets.push(ticket);
        sockets.push((ws, Role::Employee(i)));
    }

    // One socket per staff user, on the channels of the tickets it serves.
    let channels: Vec<Arc<str>> = tickets.iter().map(|t| t.channel.clone()).collect();
    let served: Vec<Result<(Sender, Ws), Error>> = futures::stream::iter(staff.iter().enumerate())
        .map(|(s, u)| {
            let (pool, url, channels) = (pool.clone(), url.clone(), &channels);
            async move {
                let (mut ws, socket_id) = pusher::connect(addr, &url, None).await?;
                for channel in channels.iter().skip(s).step_by(staff.len()) {
                    join(&pool, &mut ws, &u.token, &socket_id, channel).await?;
                }
                let sender = Sender {
                    token: Arc::from(u.token.as_str()),
                    socket_id: Arc::from(socket_id),
                };
                Ok((sender, ws))
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    let mut staff_senders = Vec::with_capacity(staff.len());
    for (s, served) in served.into_iter().enumerate() {
        let (sender, ws) = served.map_err(|e| format!("staff {s}: {e}"))?;
        staff_senders.push(sender);
        sockets.push((ws, Role::Staff(s)));
    }

    // Admin watchers, as the first staff user.
    for w in 0..args.admin_watchers {
        let (mut ws, socket_id) = pusher::connect(addr, &url, None).await?;
        join(pool, &mut ws, &staff[0].token, &socket_id, ADMIN_CHANNEL)
            .await
            .map_err(|e| format!("admin watcher {w}: {e}"))?;
        sockets.push((ws, Role::Watcher(w)));
    }
    Ok((
        Cast {
            tickets,
            staff: staff_senders,
        },
        sockets,
    ))
}

/// Authorizes a private channel through `POST /broadcasting/auth` and subscribes to it.
async fn join(
    pool: &Pool,
    ws: &mut Ws,
    token: &str,
    socket_id: &str,
    channel: &str,
) -> Result<(), Error> {
    let body = json!({ "socket_id": socket_id, "channel_name": channel });
    let answer = pool
        .json(
            Method::POST,
            "/broadcasting/auth",
            token,
            &body,
            StatusCode::OK,
        )
        .await?;
    let auth = answer
        .get("auth")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| format!("no auth in {answer}"))?;
    // The server signs the caller's user id into private channels (`channel_data`), as
    // presence channels do; the subscription must carry what was signed.
    let channel_data = answer
        .get("channel_data")
        .and_then(serde_json::Value::as_str);
    pusher::subscribe(ws, channel, Some(auth), channel_data).await
}

// ----- what the sockets receive -----------------------------------------------------------------

/// State every socket's task shares.
struct Shared {
    /// Send and receipt times are microseconds since this instant.
    epoch: Instant,
    /// The run, once the load starts.
    run: std::sync::OnceLock<Arc<Run>>,
    /// Sockets whose connection ended.
    disconnected: AtomicUsize,
    /// `pusher:error` frames and frames that did not parse.
    errors: AtomicU64,
    /// Other events: `ticket.updated`, `stats.updated`…
    other: AtomicU64,
}

impl Shared {
    fn new() -> Self {
        Shared {
            epoch: Instant::now(),
            run: std::sync::OnceLock::new(),
            disconnected: AtomicUsize::new(0),
            errors: AtomicU64::new(0),
            other: AtomicU64::new(0),
        }
    }

    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

/// One run: what was sent and what arrived where.
struct Run {
    messages: u64,
    /// Latency is recorded from this message on (the warmup is before).
    measure_from: u64,
    tickets: usize,
    staff: usize,
    watchers: usize,
    /// The schedule's start and interval in the shared epoch's microseconds.
    start_us: u64,
    interval_us: f64,
    /// Bit per message: answered 201.
    published: Bitmap,
    published_count: AtomicU64,
    http_errors: AtomicU64,
    /// Bit per message: arrived on the other side's socket.
    delivered: Bitmap,
    delivered_count: AtomicU64,
    /// Bit per (message, watcher).
    watched: Bitmap,
    watched_count: AtomicU64,
    duplicates: AtomicU64,
    misrouted: AtomicU64,
    echoed: AtomicU64,
    /// Delivery latency from the send, and from the scheduled time.
    latency: Sharded,
    from_schedule: Sharded,
    /// `message.created` on the admin watchers, from the send.
    admin_latency: Sharded,
    /// HTTP answer time, and how late each request was sent after its scheduled time.
    answer: Sharded,
    lag: Sharded,
    windows: Windows,
}

/// What a chat message's text starts with: `cg {seq} {sent_us} `.
struct Marker {
    seq: u64,
    sent_us: u64,
}

fn marker(text: &str) -> Option<Marker> {
    let mut words = text.split(' ');
    if words.next()? != "cg" {
        return None;
    }
    Some(Marker {
        seq: words.next()?.parse().ok()?,
        sent_us: words.next()?.parse().ok()?,
    })
}

/// The part of `chat.message` and `message.created` data that is checked.
#[derive(Deserialize)]
struct ChatData<'a> {
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
}

impl Run {
    fn scheduled_us(&self, seq: u64) -> u64 {
        self.start_us + (seq as f64 * self.interval_us) as u64
    }

    /// A `chat.message` on `channel` for the socket of `role`.
    fn chat(&self, cast: &Cast, role: Role, channel: &str, m: &Marker, now: u64, index: usize) {
        if m.seq >= self.messages {
            self.misrouted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let (ticket, side) = route(m.seq, self.tickets);
        let mine = match role {
            Role::Employee(t) => t == ticket,
            Role::Staff(s) => ticket % self.staff == s,
            Role::Watcher(_) => false,
        };
        let sent_by_me = matches!(
            (role, side),
            (Role::Employee(_), Side::Employee) | (Role::Staff(_), Side::Staff)
        );
        if mine && sent_by_me {
            self.echoed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if !mine || channel != &*cast.tickets[ticket].channel {
            self.misrouted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if !self.delivered.set(m.seq) {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.delivered_count.fetch_add(1, Ordering::Relaxed);
        if m.seq >= self.measure_from {
            let latency = now.saturating_sub(m.sent_us);
            self.latency.record(index, latency);
            self.from_schedule
                .record(index, now.saturating_sub(self.scheduled_us(m.seq)));
            self.windows.delivery(m.sent_us, latency);
        }
    }

    /// A `message.created` on the admin channel for watcher `w`.
    fn watched(&self, w: usize, m: &Marker, now: u64, index: usize) {
        if m.seq >= self.messages {
            self.misrouted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if !self.watched.set(m.seq * self.watchers as u64 + w as u64) {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.watched_count.fetch_add(1, Ordering::Relaxed);
        if m.seq >= self.measure_from {
            self.admin_latency
                .record(index, now.saturating_sub(m.sent_us));
        }
    }
}

/// Reads one socket's frames until the connection ends.
async fn listen(mut ws: Ws, shared: Arc<Shared>, cast: Arc<Cast>, role: Role, index: usize) {
    while let Some(message) = ws.next().await {
        let text = match message {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let now = shared.now_us();
        let Ok(frame) = serde_json::from_str::<Frame<'_>>(text.as_str()) else {
            shared.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let event = frame.event.as_ref();
        match event {
            "chat.message" | "message.created" => {
                let data = data_text(frame.data);
                let Some(m) = serde_json::from_str::<ChatData<'_>>(&data)
                    .ok()
                    .and_then(|d| marker(&d.message))
                else {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let Some(run) = shared.run.get() else {
                    // Before the load: nothing of ours can be on its way yet.
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let channel = frame.channel.as_deref().unwrap_or("");
                match (event, role) {
                    ("message.created", Role::Watcher(w)) if channel == ADMIN_CHANNEL => {
                        run.watched(w, &m, now, index);
                    }
                    ("chat.message", _) => run.chat(&cast, role, channel, &m, now, index),
                    _ => {
                        run.misrouted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            "pusher:ping" if ws.send(Message::text(PONG)).await.is_err() => break,
            "pusher:ping" => {}
            "pusher:error" => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                shared.other.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    shared.disconnected.fetch_add(1, Ordering::Relaxed);
}

// ----- the load ---------------------------------------------------------------------------------

/// Sends the messages on the schedule, waits for the deliveries, and adds up.
async fn load(
    args: &Arc<Args>,
    shared: &Arc<Shared>,
    cast: &Arc<Cast>,
    sockets: usize,
) -> Result<RunResult, Error> {
    let measure_from = (args.rate * args.warmup).round() as u64;
    let messages = measure_from + (args.rate * args.duration).round() as u64;
    let lead = Duration::from_millis(50);
    let start_us = shared.now_us() + lead.as_micros() as u64;
    let schedule = Arc::new(Schedule::new(
        tokio::time::Instant::now() + lead,
        args.rate,
        messages,
    ));
    let watchers = args.admin_watchers;
    let run = Arc::new(Run {
        messages,
        measure_from,
        tickets: cast.tickets.len(),
        staff: cast.staff.len(),
        watchers,
        start_us,
        interval_us: 1e6 / args.rate,
        published: Bitmap::new(messages),
        published_count: AtomicU64::new(0),
        http_errors: AtomicU64::new(0),
        delivered: Bitmap::new(messages),
        delivered_count: AtomicU64::new(0),
        watched: Bitmap::new(messages * watchers as u64),
        watched_count: AtomicU64::new(0),
        duplicates: AtomicU64::new(0),
        misrouted: AtomicU64::new(0),
        echoed: AtomicU64::new(0),
        latency: Sharded::new(SHARDS),
        from_schedule: Sharded::new(SHARDS),
        admin_latency: Sharded::new(SHARDS),
        answer: Sharded::new(SHARDS),
        lag: Sharded::new(SHARDS),
        windows: Windows::new(
            start_us,
            args.warmup + args.duration + args.request_timeout + 2.0,
        ),
    });
    if shared.run.set(run.clone()).is_err() {
        return Err("one run per process".into());
    }
    let errors_before = shared.errors.load(Ordering::Relaxed);
    let other_before = shared.other.load(Ordering::Relaxed);

    // Keep-alive connections, opened before the clock starts.
    let addr = http::resolve(&args.host, args.port)?;
    let mut conns = Vec::with_capacity(args.http_connections);
    for _ in 0..args.http_connections.max(1) {
        let mut c = KeepAlive::new(addr);
        c.ready().await?;
        conns.push(c);
    }
    let host: Arc<str> = Arc::from(format!("{}:{}", args.host, args.port));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let cpu_before = (cpu_ms(args.server_pid), cpu_ms(Some(std::process::id())));
    let wall = Instant::now();
    let mut tasks = Vec::new();
    for (task, mut conn) in conns.into_iter().enumerate() {
        let (args, shared, cast, run, schedule, host, first_error) = (
            args.clone(),
            shared.clone(),
            cast.clone(),
            run.clone(),
            schedule.clone(),
            host.clone(),
            first_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let timeout = secs(args.request_timeout);
            let mut text = String::with_capacity(args.payload);
            while let Some(seq) = schedule.next().await {
                let (t, side) = route(seq, run.tickets);
                let ticket = &cast.tickets[t];
                let (path, sender) = match side {
                    Side::Employee => (&ticket.employee_path, &ticket.employee),
                    Side::Staff => (&ticket.staff_path, &cast.staff[t % run.staff]),
                };
                let sent = shared.now_us();
                text.clear();
                let _ = write!(text, "cg {seq} {sent} ticket {} ", ticket.id);
                while text.len() < args.payload {
                    text.push('x');
                }
                let body = json!({ "message": &text }).to_string();
                let outcome = match http::json_request(
                    Method::POST,
                    &host,
                    path,
                    &sender.token,
                    Some(&sender.socket_id),
                    body,
                ) {
                    Ok(request) => conn.send(request, timeout).await,
                    Err(e) => Err(e),
                };
                let answered = shared.now_us();
                if seq >= run.measure_from {
                    run.answer.record(task, answered.saturating_sub(sent));
                    run.lag
                        .record(task, sent.saturating_sub(run.scheduled_us(seq)));
                    run.windows.answer(sent, answered.saturating_sub(sent));
                }
                let failure = match outcome {
                    Ok((StatusCode::CREATED, _)) => {
                        run.published.set(seq);
                        run.published_count.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                    Ok((status, body)) => Some(http::describe(status, &body)),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(e) = failure {
                    run.http_errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut first) = first_error.lock() {
                        first.get_or_insert(e);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let sending = wall.elapsed().as_secs_f64() - 0.05;
    // Deliveries still on their way; stop early once everything answered 201 has arrived.
    let drain_until = Instant::now() + secs(args.drain);
    let complete = || {
        let published = run.published_count.load(Ordering::Relaxed);
        run.delivered_count.load(Ordering::Relaxed) >= published
            && run.watched_count.load(Ordering::Relaxed) >= published * watchers as u64
    };
    while Instant::now() < drain_until && !complete() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu_after = (cpu_ms(args.server_pid), cpu_ms(Some(std::process::id())));
    let load_secs = wall.elapsed().as_secs_f64();

    let (mut lost, mut unconfirmed, mut admin_lost) = (0, 0, 0);
    for seq in 0..messages {
        let ok = run.published.get(seq);
        match (ok, run.delivered.get(seq)) {
            (true, false) => lost += 1,
            (false, true) => unconfirmed += 1,
            _ => {}
        }
        for w in 0..watchers as u64 {
            if ok && !run.watched.get(seq * watchers as u64 + w) {
                admin_lost += 1;
            }
        }
    }
    let published = run.published_count.load(Ordering::Relaxed);
    let cpu = |i: usize| -> Option<u64> {
        let (b, a) = if i == 0 {
            (cpu_before.0, cpu_after.0)
        } else {
            (cpu_before.1, cpu_after.1)
        };
        b.zip(a).map(|(b, a)| a.saturating_sub(b))
    };
    Ok(RunResult {
        rate: args.rate,
        messages,
        published,
        http_errors: run.http_errors.load(Ordering::Relaxed),
        first_error: first_error.lock().ok().and_then(|mut e| e.take()),
        achieved: published as f64 / sending.max(1e-9),
        delivered: run.delivered_count.load(Ordering::Relaxed),
        watched: run.watched_count.load(Ordering::Relaxed),
        lost,
        admin_lost,
        unconfirmed,
        duplicates: run.duplicates.load(Ordering::Relaxed),
        misrouted: run.misrouted.load(Ordering::Relaxed),
        echoed: run.echoed.load(Ordering::Relaxed),
        disconnected: shared.disconnected.load(Ordering::Relaxed),
        frame_errors: shared.errors.load(Ordering::Relaxed) - errors_before,
        other_events: shared.other.load(Ordering::Relaxed) - other_before,
        latency: run.latency.merged(),
        from_schedule: run.from_schedule.merged(),
        admin_latency: run.admin_latency.merged(),
        answer: run.answer.merged(),
        lag: run.lag.merged(),
        worst: run.windows.describe_worst(3),
        server_cpu_ms: cpu(0),
        chatgen_cpu_ms: cpu(1),
        load_secs,
        rss_kb: rss(args.server_pid),
        peak_rss_kb: peak_rss(args.server_pid),
        sockets,
        tickets: cast.tickets.len(),
        staff: cast.staff.len(),
    })
}

/// The figures of a run.
struct RunResult {
    rate: f64,
    messages: u64,
    published: u64,
    http_errors: u64,
    first_error: Option<String>,
    achieved: f64,
    delivered: u64,
    watched: u64,
    lost: u64,
    admin_lost: u64,
    unconfirmed: u64,
    duplicates: u64,
    misrouted: u64,
    echoed: u64,
    disconnected: usize,
    frame_errors: u64,
    other_events: u64,
    latency: hdrhistogram::Histogram<u64>,
    from_schedule: hdrhistogram::Histogram<u64>,
    admin_latency: hdrhistogram::Histogram<u64>,
    answer: hdrhistogram::Histogram<u64>,
    lag: hdrhistogram::Histogram<u64>,
    worst: Option<String>,
    server_cpu_ms: Option<u64>,
    chatgen_cpu_ms: Option<u64>,
    load_secs: f64,
    rss_kb: Option<u64>,
    peak_rss_kb: Option<u64>,
    sockets: usize,
    tickets: usize,
    staff: usize,
}

impl RunResult {
    fn passed(&self, min_achieved: f64) -> bool {
        self.lost == 0
            && self.admin_lost == 0
            && self.duplicates == 0
            && self.misrouted == 0
            && self.echoed == 0
            && self.http_errors == 0
            && self.disconnected == 0
            && self.achieved >= min_achieved * self.rate
    }

    fn print(&self, args: &Args) {
        let ms = |us: u64| us as f64 / 1000.0;
        let q = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q);
        let passed = self.passed(args.min_achieved);
        println!(
            "[{}] rate {:.0}/s over {} tickets ({} staff): sent {} in {:.1} s, 201 for {} at {:.0}/s, HTTP errors {}; \
             delivered {} lost {} duplicates {} misrouted {} echoed {} unconfirmed {}; admin watchers got {} lost {}; \
             disconnected {} bad frames {} other events {}",
            if passed { "pass" } else { "fail" },
            self.rate,
            self.tickets,
            self.staff,
            self.messages,
            args.warmup + args.duration,
            self.published,
            self.achieved,
            self.http_errors,
            self.delivered,
            self.lost,
            self.duplicates,
            self.misrouted,
            self.echoed,
            self.unconfirmed,
            self.watched,
            self.admin_lost,
            self.disconnected,
            self.frame_errors,
            self.other_events,
        );
        println!(
            "  delivery latency from send: p50 {:.2} ms p99 {:.2} ms p99.9 {:.2} ms max {:.2} ms ({} samples); from schedule: p50 {:.2} p99 {:.2} max {:.2} ms",
            ms(q(&self.latency, 0.5)),
            ms(q(&self.latency, 0.99)),
            ms(q(&self.latency, 0.999)),
            ms(self.latency.max()),
            self.latency.len(),
            ms(q(&self.from_schedule, 0.5)),
            ms(q(&self.from_schedule, 0.99)),
            ms(self.from_schedule.max()),
        );
        println!(
            "  HTTP answer: p50 {:.2} ms p99 {:.2} ms max {:.2} ms; send lag behind schedule p99 {:.2} ms max {:.2} ms; admin message.created p99 {:.2} ms",
            ms(q(&self.answer, 0.5)),
            ms(q(&self.answer, 0.99)),
            ms(self.answer.max()),
            ms(q(&self.lag, 0.99)),
            ms(self.lag.max()),
            ms(q(&self.admin_latency, 0.99)),
        );
        let per_message = |cpu: Option<u64>| {
            cpu.filter(|_| self.published > 0)
                .map_or(0.0, |ms| ms as f64 * 1000.0 / self.published as f64)
        };
        let share =
            |cpu: Option<u64>| cpu.map_or(0.0, |ms| ms as f64 / 10.0 / self.load_secs.max(1e-9));
        println!(
            "  server CPU {} ms over {:.1} s ({:.0}% of a core, {:.1} us a message); chatgen CPU {:.0}% of a core; server RSS {} (peak {}), {} sockets; load average {}",
            self.server_cpu_ms
                .map_or("n/a".to_owned(), |ms| ms.to_string()),
            self.load_secs,
            share(self.server_cpu_ms),
            per_message(self.server_cpu_ms),
            share(self.chatgen_cpu_ms),
            show_kb(self.rss_kb),
            show_kb(self.peak_rss_kb),
            self.sockets,
            load_average(),
        );
        if let Some(w) = &self.worst {
            println!("  worst 100 ms windows (seconds into the run: delivery / HTTP answer): {w}");
        }
        if let Some(e) = &self.first_error {
            println!("  first HTTP error: {e}");
        }
        println!(
            "RESULT rate={:.0} achieved={:.0} messages={} published={} http_errors={} delivered={} lost={} admin_lost={} duplicates={} misrouted={} echoed={} disconnected={} \
             p50_us={} p99_us={} p999_us={} max_us={} sched_p99_us={} sched_max_us={} lag_p99_us={} http_p50_us={} http_p99_us={} http_max_us={} admin_p99_us={} \
             server_cpu_ms={} server_cpu_pct={:.0} server_cpu_us_per_msg={:.1} chatgen_cpu_pct={:.0} rss_kb={} peak_rss_kb={} passed={}",
            self.rate,
            self.achieved,
            self.messages,
            self.published,
            self.http_errors,
            self.delivered,
            self.lost,
            self.admin_lost,
            self.duplicates,
            self.misrouted,
            self.echoed,
            self.disconnected,
            q(&self.latency, 0.5),
            q(&self.latency, 0.99),
            q(&self.latency, 0.999),
            self.latency.max(),
            q(&self.from_schedule, 0.99),
            self.from_schedule.max(),
            q(&self.lag, 0.99),
            q(&self.answer, 0.5),
            q(&self.answer, 0.99),
            self.answer.max(),
            q(&self.admin_latency, 0.99),
            self.server_cpu_ms.unwrap_or(0),
            share(self.server_cpu_ms),
            per_message(self.server_cpu_ms),
            share(self.chatgen_cpu_ms),
            self.rss_kb.unwrap_or(0),
            self.peak_rss_kb.unwrap_or(0),
            u8::from(passed),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ticket_gets_both_sides_in_turn() {
        let mut seen = std::collections::HashSet::new();
        for seq in 0..14 {
            seen.insert(route(seq, 7));
        }
        assert_eq!(seen.len(), 14);
        assert_eq!(route(0, 7), (0, Side::Employee));
        assert_eq!(route(1, 7), (0, Side::Staff));
        assert_eq!(route(15, 7), (0, Side::Staff));
    }

    #[test]
    fn markers_round_trip() {
        let m = marker("cg 42 123456 ticket 7 xxxx");
        assert!(matches!(
            m,
            Some(Marker {
                seq: 42,
                sent_us: 123456
            })
        ));
        assert!(marker("hello 1 2").is_none());
        assert!(marker("cg x 2").is_none());
    }
}
