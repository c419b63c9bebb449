//! Run with: `cargo run --release -p support-benches --bin loadgen -- --port 6001 --server-pid PID`
//!
//! A load generator for any Pusher Channels protocol 7 server (this workspace's
//! `support-transport-ws`, sockudo, soketi, Reverb…). It needs nothing from the server but the
//! app's id, key and secret:
//!
//! - it opens `channels × subscribers` websocket connections itself and subscribes each to its
//!   channel, signing private subscriptions with the secret (`key:hex(hmac(secret,
//!   "socket_id:channel"))`), so no auth endpoint is involved;
//! - it publishes through the signed HTTP API (`POST /apps/{id}/events`, one event a request,
//!   signed as Pusher's server SDKs sign it) on an open-loop schedule: event `n` is due at
//!   `n / rate` seconds whatever happened to the others, taken by the next free one of
//!   `--publishers` keep-alive HTTP/1.1 connections. Each event's data carries its run,
//!   sequence number and send time. A connection waits for each answer, so a server whose
//!   answers take longer than `publishers / rate` falls behind: the rate achieved says so;
//! - every subscriber checks what it receives against what was published: delivered, lost
//!   (published, answered 200, and not received by the end of the drain period), duplicated,
//!   or on the wrong channel; delivery latency (publish start → receipt) goes into an HDR
//!   histogram.
//!
//! Modes:
//!
//! - `latency` (default): one run at `--rate` for `--warmup` + `--duration` seconds; latency
//!   is recorded after the warmup, losses are counted over the whole run.
//! - `ceiling`: runs of `--duration` seconds at rising rates (`--start-rate`, times `--growth`
//!   until one fails, then bisection to `--precision`), over the same connections. A run passes
//!   when nothing was lost, duplicated, misrouted or refused, no subscriber was disconnected,
//!   and the rate achieved is at least `--min-achieved` of the rate asked for; the ceiling is
//!   the highest passing rate.
//! - `idle`: opens and subscribes the connections, waits `--settle` seconds, and reports the
//!   server's resident memory per connection (needs `--server-pid`), its anonymous part, the
//!   kernel's memory per connection and the load generator's own RSS per connection.
//! - `scale`: `idle` (with the time it took to connect and subscribe them all), then one
//!   `latency` run over the same connections: `benches/ws-100k.sh` holds 100,000 this way.
//!
//! With `--server-pid`, the server's RSS (`VmRSS` of `/proc/PID/status`) is read before
//! connecting, after connecting and after the runs, and its CPU time (`/proc/PID/stat`) around
//! each run gives the server's CPU per publish, a figure that other work on the machine
//! disturbs far less than latency. Each run also reports the HTTP API's answer times. Runs end
//! with a `RESULT key=value…` line for scripts (see `benches/ws-vs-sockudo.sh`).
//!
//! The load generator shares the machine with the server it measures; both servers of a
//! comparison get the same load from the same generator, so the comparison is fair even when
//! the absolute figures include the generator's own scheduling delays.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use http_body_util::Full;
use serde::Deserialize;
use support_benches::http::{self, KeepAlive};
use support_benches::pace::Schedule;
use support_benches::process::{
    Memory, cpu_ms, kernel_slab_kb, kernel_tcp_kb, load_average, memory, raise_fd_limit, rss,
    show_kb,
};
use support_benches::pusher::{self, Frame, PONG, Ws, data_text};
use support_benches::tally::{Bitmap, Sharded, Windows, histogram};
use support_transport_ws::signature;
use tokio_tungstenite::tungstenite::Message;

type Error = support_benches::BoxError;

/// The event name the load generator publishes.
const EVENT: &str = "loadgen";
/// Latency histogram shards: subscribers record into `index % SHARDS`, so 2 cores rarely wait
/// on one another's lock.
const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// One run at `--rate`.
    Latency,
    /// The highest rate that passes: nothing lost, duplicated, misrouted or refused, no
    /// subscriber disconnected, and at least `--min-achieved` of the rate achieved.
    Ceiling,
    /// Server memory per idle subscribed connection.
    Idle,
    /// Memory per subscribed connection and the time to connect and subscribe them all (as
    /// `idle`), then one run at `--rate` over the same connections (as `latency`).
    Scale,
}

/// Command-line flags.
#[derive(Debug, Clone, Parser)]
#[command(
    about = "Load generator for Pusher-protocol servers (websocket fan-out, HTTP API publishing)"
)]
struct Args {
    /// What to measure.
    #[arg(long, value_enum, default_value = "latency")]
    mode: Mode,
    /// Server host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port (websocket and HTTP API).
    #[arg(long, default_value_t = 6001)]
    port: u16,
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
    /// Channels.
    #[arg(long, default_value_t = 1000)]
    channels: usize,
    /// Subscribed connections per channel.
    #[arg(long, default_value_t = 2)]
    subscribers: usize,
    /// Public channels instead of private ones.
    #[arg(long)]
    public: bool,
    /// Publishes per second (latency mode).
    #[arg(long, default_value_t = 5000.0)]
    rate: f64,
    /// Seconds measured per run.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds published at the run's rate before measuring latency.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds to wait after the last publish for deliveries still on their way.
    #[arg(long, default_value_t = 2.0)]
    drain: f64,
    /// Bytes of each event's `data`.
    #[arg(long, default_value_t = 100)]
    payload: usize,
    /// Concurrent HTTP connections publishing (each one request at a time, keep-alive).
    #[arg(long, default_value_t = 64)]
    publishers: usize,
    /// Seconds before an HTTP API request counts as failed.
    #[arg(long, default_value_t = 5.0)]
    request_timeout: f64,
    /// The server's pid, to read its resident memory and CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Spread client connections over this many source addresses from `--first-source-ip` on
    /// (when the server is on loopback and ephemeral ports run short: each source address has
    /// the kernel's `ip_local_port_range` of ports). With 1, connections leave from wherever
    /// the kernel picks.
    #[arg(long, default_value_t = 1)]
    source_ips: u8,
    /// The last byte of the first source address, 127.0.0.N (with `--source-ips` above 1). The
    /// default, 2, leaves 127.0.0.1's ports to the HTTP publishers; a second run right after
    /// a first one gives its own range, as the first one's ports wait in TIME_WAIT.
    #[arg(long, default_value_t = 2)]
    first_source_ip: u8,
    /// Connections opened at once while connecting.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Ceiling mode: the first rate tried.
    #[arg(long, default_value_t = 4000.0)]
    start_rate: f64,
    /// Ceiling mode: factor between rates until a run fails.
    #[arg(long, default_value_t = 1.5)]
    growth: f64,
    /// Ceiling mode: stop bisecting when the failing rate is within this fraction of the
    /// passing one.
    #[arg(long, default_value_t = 0.05)]
    precision: f64,
    /// Ceiling mode: a run must achieve this fraction of the rate asked for to pass.
    #[arg(long, default_value_t = 0.97)]
    min_achieved: f64,
    /// Ceiling mode: seconds of rest between runs.
    #[arg(long, default_value_t = 2.0)]
    rest: f64,
    /// Idle and scale modes: seconds to wait after subscribing before reading the server's
    /// memory.
    #[arg(long, default_value_t = 3.0)]
    settle: f64,
    /// Runtime worker threads of the load generator (default: one per CPU).
    #[arg(long)]
    workers: Option<usize>,
}

impl Args {
    fn connections(&self) -> usize {
        self.channels * self.subscribers
    }

    fn channel_name(&self, c: usize) -> String {
        let prefix = if self.public { "" } else { "private-" };
        format!("{prefix}loadgen-{c}")
    }

    fn secs(s: f64) -> Duration {
        Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
    }
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    if args.channels == 0 || args.subscribers == 0 {
        return Err("--channels and --subscribers must be at least 1".into());
    }
    let finite = |x: f64| x.is_finite() && x > 0.0;
    if !(finite(args.rate) && finite(args.start_rate) && finite(args.duration)) {
        return Err("--rate, --start-rate and --duration must be positive".into());
    }
    if args.source_ips > 1
        && (args.first_source_ip == 0 || args.first_source_ip as u16 + args.source_ips as u16 > 256)
    {
        return Err(
            "--first-source-ip and --source-ips must name addresses 127.0.0.1 to 127.0.0.255"
                .into(),
        );
    }
    if !(args.growth.is_finite() && args.growth > 1.0) {
        return Err("--growth must be above 1".into());
    }
    raise_fd_limit("loadgen", args.connections() + args.publishers + 64);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.workers {
        runtime.worker_threads(n);
    }
    runtime.build()?.block_on(run(args))
}

async fn run(args: Args) -> Result<(), Error> {
    let args = Arc::new(args);
    let shared = Arc::new(Shared::new(&args)?);
    let loadgen_before = rss(Some(std::process::id()));
    let before = Snapshot::take(&args);
    let started = Instant::now();
    connect_all(&args, &shared, (0..args.connections()).collect()).await?;
    let connect_time = started.elapsed();
    let rss_connected = rss(args.server_pid);
    let n = args.connections();
    println!(
        "connected {n} subscribers ({} {} channels x {}) to {}:{} in {:.1} s; server RSS {} -> {}",
        args.channels,
        if args.public { "public" } else { "private" },
        args.subscribers,
        args.host,
        args.port,
        connect_time.as_secs_f64(),
        show_kb(before.server.map(|m| m.rss_kb)),
        show_kb(rss_connected),
    );
    match args.mode {
        Mode::Idle => {
            tokio::time::sleep(Args::secs(args.settle)).await;
            memory_report(
                &args,
                &shared,
                "idle",
                &before,
                loadgen_before,
                connect_time,
            );
        }
        Mode::Scale => {
            tokio::time::sleep(Args::secs(args.settle)).await;
            memory_report(
                &args,
                &shared,
                "scale",
                &before,
                loadgen_before,
                connect_time,
            );
            let mut publishers = Publishers::open(&args).await?;
            let r = run_step(&args, &shared, &mut publishers, 1, args.rate).await?;
            r.print(&args, "latency", rss(args.server_pid));
        }
        Mode::Latency => {
            let mut publishers = Publishers::open(&args).await?;
            let r = run_step(&args, &shared, &mut publishers, 1, args.rate).await?;
            r.print(&args, "latency", rss(args.server_pid));
        }
        Mode::Ceiling => ceiling(&args, &shared).await?,
    }
    Ok(())
}

/// Memory at one moment: the server's (with its parts) and the kernel's for TCP sockets.
struct Snapshot {
    server: Option<Memory>,
    kernel_tcp_kb: Option<u64>,
    kernel_slab_kb: Option<u64>,
}

impl Snapshot {
    fn take(args: &Args) -> Self {
        Snapshot {
            server: memory(args.server_pid),
            kernel_tcp_kb: kernel_tcp_kb(),
            kernel_slab_kb: kernel_slab_kb(),
        }
    }
}

/// Prints the memory the subscribed connections cost: the server's resident memory per
/// connection (and its anonymous and file-backed parts), the kernel's memory per connection
/// (both ends of each loopback connection: socket buffers, and the slab that holds the sockets
/// themselves, machine-wide figures that other work moves too), and the load generator's own
/// RSS per connection; then a `RESULT mode=LABEL …` line with the connect time.
fn memory_report(
    args: &Args,
    shared: &Shared,
    label: &str,
    before: &Snapshot,
    loadgen_before: Option<u64>,
    connect_time: Duration,
) {
    let n = args.connections();
    let after = Snapshot::take(args);
    let loadgen_after = rss(Some(std::process::id()));
    let alive = n - shared.dead.lock().map_or(0, |d| d.len());
    // Bytes per connection of the growth between two kB readings.
    let per = |b: Option<u64>, a: Option<u64>| {
        b.zip(a)
            .map(|(b, a)| a.saturating_sub(b) as f64 * 1024.0 / n as f64)
    };
    let show = |b: Option<f64>| b.map_or("n/a".to_owned(), |b| format!("{:.1} KB", b / 1024.0));
    let server =
        |f: fn(&Memory) -> u64| per(before.server.as_ref().map(f), after.server.as_ref().map(f));
    let rss_per = server(|m| m.rss_kb);
    let kernel_per = per(before.kernel_tcp_kb, after.kernel_tcp_kb);
    let slab_per = per(before.kernel_slab_kb, after.kernel_slab_kb);
    let loadgen_per = per(loadgen_before, loadgen_after);
    println!(
        "{label}: {alive}/{n} connections alive after {:.0} s; server RSS {} -> {}; {} per connection \
         (anonymous {}, file-backed {}; {} threads); kernel, per connection (both ends): socket \
         buffers {}, slab {}; \
         load generator RSS {} -> {}, {} per connection",
        args.settle,
        show_kb(before.server.map(|m| m.rss_kb)),
        show_kb(after.server.map(|m| m.rss_kb)),
        show(rss_per),
        show(server(|m| m.anon_kb)),
        show(server(|m| m.file_kb)),
        after.server.map_or(0, |m| m.threads),
        show(kernel_per),
        show(slab_per),
        show_kb(loadgen_before),
        show_kb(loadgen_after),
        show(loadgen_per),
    );
    let bytes = |b: Option<f64>| b.map_or(0, |b| b.round() as u64);
    println!(
        "RESULT mode={label} connections={n} alive={alive} connect_ms={} rss_before_kb={} rss_after_kb={} \
         bytes_per_connection={} anon_bytes_per_connection={} kernel_tcp_bytes_per_connection={} \
         kernel_slab_bytes_per_connection={} loadgen_bytes_per_connection={}",
        connect_time.as_millis(),
        before.server.map_or(0, |m| m.rss_kb),
        after.server.map_or(0, |m| m.rss_kb),
        bytes(rss_per),
        bytes(server(|m| m.anon_kb)),
        bytes(kernel_per),
        bytes(slab_per),
        bytes(loadgen_per),
    );
}

/// Rising rates until a run fails, then bisection.
async fn ceiling(args: &Arc<Args>, shared: &Arc<Shared>) -> Result<(), Error> {
    let mut publishers = Publishers::open(args).await?;
    let mut pass: Option<(f64, StepResult)> = None;
    let mut fail: Option<f64> = None;
    let mut rate = args.start_rate;
    for step in 1..=24u32 {
        reconnect_dead(args, shared).await?;
        let r = run_step(args, shared, &mut publishers, step, rate).await?;
        let ok = r.passed(args.min_achieved);
        r.print(args, if ok { "pass" } else { "fail" }, rss(args.server_pid));
        if ok {
            pass = Some((rate, r));
        } else {
            fail = Some(rate);
        }
        rate = match (&pass, fail) {
            (Some((p, _)), None) => p * args.growth,
            (None, Some(f)) if f / args.growth >= 100.0 => f / args.growth,
            (None, Some(_)) => break,
            (Some((p, _)), Some(f)) if (f - p) / p <= args.precision => break,
            (Some((p, _)), Some(f)) => ((p + f) / 2.0).round(),
            (None, None) => break,
        };
        tokio::time::sleep(Args::secs(args.rest)).await;
    }
    match pass {
        Some((rate, r)) => {
            println!(
                "ceiling: {rate:.0} publishes/s with nothing lost (achieved {:.0}/s, p99 {} us); first failing rate {}",
                r.achieved,
                r.p99,
                fail.map_or("none found".to_owned(), |f| format!("{f:.0}/s")),
            );
            println!(
                "RESULT mode=ceiling ceiling={rate:.0} achieved={:.0} p50_us={} p99_us={} first_fail={:.0}",
                r.achieved,
                r.p50,
                r.p99,
                fail.unwrap_or(0.0)
            );
        }
        None => {
            println!("ceiling: no rate passed");
            println!(
                "RESULT mode=ceiling ceiling=0 achieved=0 p50_us=0 p99_us=0 first_fail={:.0}",
                fail.unwrap_or(0.0)
            );
        }
    }
    Ok(())
}

// ----- what subscribers check ------------------------------------------------------------------

/// State shared by every subscriber.
struct Shared {
    /// Send and receipt times are microseconds since this instant.
    epoch: Instant,
    /// The run in progress; subscribers look it up when the run id changes.
    step: RwLock<Option<Arc<Step>>>,
    step_id: AtomicU32,
    /// Connection indexes whose connection ended.
    dead: Mutex<Vec<usize>>,
    /// Frames received for another run than the current one (late deliveries).
    stale: AtomicU64,
    /// `pusher:error` frames and unparseable frames.
    errors: AtomicU64,
    channel_names: Vec<Arc<str>>,
    ws_url: String,
    addr: SocketAddr,
}

impl Shared {
    fn new(args: &Args) -> Result<Self, Error> {
        let addr = http::resolve(&args.host, args.port)?;
        Ok(Shared {
            epoch: Instant::now(),
            step: RwLock::new(None),
            step_id: AtomicU32::new(0),
            dead: Mutex::new(Vec::new()),
            stale: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            channel_names: (0..args.channels)
                .map(|c| Arc::from(args.channel_name(c)))
                .collect(),
            ws_url: pusher::ws_url(&args.host, args.port, &args.app_key, "loadgen"),
            addr,
        })
    }

    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

/// One run: what was published and what each subscriber received.
struct Step {
    id: u32,
    events: u64,
    /// Latency is recorded from this sequence number on (the warmup is before).
    measure_from: u64,
    subscribers: usize,
    channels: usize,
    /// Bit per event: the HTTP API answered 200.
    published: Bitmap,
    /// Bit per (event, subscriber slot).
    delivered: Bitmap,
    delivered_count: AtomicU64,
    published_count: AtomicU64,
    duplicates: AtomicU64,
    misrouted: AtomicU64,
    publish_errors: AtomicU64,
    latency: Sharded,
    /// HTTP API response times: a publisher waits for each answer before its next request, so
    /// `publishers / response time` caps the rate a run can achieve.
    response: Mutex<Histogram<u64>>,
    /// Worst delivery latency and worst HTTP answer time of the events sent in each 100 ms
    /// window (from the run's start, in the shared epoch's microseconds).
    windows: Windows,
}

impl Step {
    fn new(id: u32, events: u64, measure_from: u64, args: &Args, start_us: u64) -> Self {
        let subs = args.subscribers as u64;
        let run_secs = args.warmup + args.duration + args.drain + args.request_timeout + 2.0;
        Step {
            id,
            events,
            measure_from,
            subscribers: args.subscribers,
            channels: args.channels,
            published: Bitmap::new(events),
            delivered: Bitmap::new(events * subs),
            delivered_count: AtomicU64::new(0),
            published_count: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            misrouted: AtomicU64::new(0),
            publish_errors: AtomicU64::new(0),
            latency: Sharded::new(SHARDS),
            response: Mutex::new(histogram()),
            windows: Windows::new(start_us, run_secs),
        }
    }

    /// Records one received event for the subscriber in `slot` of channel `channel`.
    fn receive(
        &self,
        channel: usize,
        slot: usize,
        seq: u64,
        sent_us: u64,
        now_us: u64,
        shard: usize,
    ) {
        if seq >= self.events || seq as usize % self.channels != channel {
            self.misrouted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if !self
            .delivered
            .set(seq * self.subscribers as u64 + slot as u64)
        {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.delivered_count.fetch_add(1, Ordering::Relaxed);
        if seq >= self.measure_from {
            let latency = now_us.saturating_sub(sent_us).max(1);
            self.latency.record(shard, latency);
            self.windows.delivery(sent_us, latency);
        }
    }
}

/// What the load generator puts in each event's data.
#[derive(Deserialize)]
struct Stamp {
    r: u32,
    s: u64,
    t: u64,
}

// ----- connections -------------------------------------------------------------------------------

async fn connect_all(
    args: &Arc<Args>,
    shared: &Arc<Shared>,
    indexes: Vec<usize>,
) -> Result<(), Error> {
    let results: Vec<Result<(), Error>> = futures::stream::iter(indexes)
        .map(|i| {
            let (args, shared) = (args.clone(), shared.clone());
            async move {
                let channel = i % args.channels;
                let ws = tokio::time::timeout(
                    Duration::from_secs(20),
                    subscribe(&args, &shared, i, channel),
                )
                .await
                .map_err(|_| format!("connection {i}: no subscription within 20 s"))??;
                tokio::spawn(listen(ws, shared, i, channel, i / args.channels));
                Ok(())
            }
        })
        .buffer_unordered(args.connect_concurrency.max(1))
        .collect()
        .await;
    let failed: Vec<String> = results
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect();
    match failed.first() {
        None => Ok(()),
        Some(first) => {
            Err(format!("{} connections failed; the first: {first}", failed.len()).into())
        }
    }
}

async fn reconnect_dead(args: &Arc<Args>, shared: &Arc<Shared>) -> Result<(), Error> {
    let dead = shared
        .dead
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    if !dead.is_empty() {
        println!(
            "reconnecting {} subscribers the server disconnected",
            dead.len()
        );
        connect_all(args, shared, dead).await?;
    }
    Ok(())
}

/// Opens connection `i`, waits for the handshake, subscribes and waits for the answer.
async fn subscribe(args: &Args, shared: &Shared, i: usize, channel: usize) -> Result<Ws, Error> {
    let source =
        (args.source_ips > 1).then(|| args.first_source_ip + (i % args.source_ips as usize) as u8);
    let (mut ws, socket_id) = pusher::connect(shared.addr, &shared.ws_url, source).await?;
    let name = &shared.channel_names[channel];
    let auth = (!args.public)
        .then(|| signature::channel_auth(&args.app_key, &args.app_secret, &socket_id, name, None));
    pusher::subscribe(&mut ws, name, auth.as_deref(), None).await?;
    Ok(ws)
}

/// Reads one subscriber's frames until the connection ends.
async fn listen(mut ws: Ws, shared: Arc<Shared>, index: usize, channel: usize, slot: usize) {
    let mut step: Option<Arc<Step>> = None;
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
        match frame.event.as_ref() {
            EVENT => {
                let Ok(stamp) = serde_json::from_str::<Stamp>(&data_text(frame.data)) else {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let current = shared.step_id.load(Ordering::Acquire);
                if stamp.r != current {
                    shared.stale.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if step.as_ref().is_none_or(|s| s.id != current) {
                    step = shared.step.read().ok().and_then(|s| s.clone());
                }
                let Some(s) = step.as_ref().filter(|s| s.id == current) else {
                    continue;
                };
                if frame.channel.as_deref() != Some(&*shared.channel_names[channel]) {
                    s.misrouted.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                s.receive(channel, slot, stamp.s, stamp.t, now, index);
            }
            "pusher:ping" if ws.send(Message::text(PONG)).await.is_err() => break,
            "pusher:error" => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    if let Ok(mut dead) = shared.dead.lock() {
        dead.push(index);
    }
}

// ----- publishing ------------------------------------------------------------------------------

/// Keep-alive HTTP/1.1 connections to the API, one request at a time each.
struct Publishers {
    conns: Vec<KeepAlive>,
}

impl Publishers {
    async fn open(args: &Args) -> Result<Self, Error> {
        let addr = http::resolve(&args.host, args.port)?;
        let mut conns = Vec::new();
        for _ in 0..args.publishers.max(1) {
            let mut p = KeepAlive::new(addr);
            p.ready().await?;
            conns.push(p);
        }
        Ok(Publishers { conns })
    }
}

/// Publishes one event; an error if the server refused it or did not answer in time.
async fn publish(
    conn: &mut KeepAlive,
    request: hyper::Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<(), Error> {
    match conn.send(request, timeout).await? {
        (status, _) if status.is_success() => Ok(()),
        (status, body) => Err(http::describe(status, &body).into()),
    }
}

/// Builds the signed `POST /apps/{id}/events` request for one event.
fn signed_request(
    args: &Args,
    host: &str,
    channel: &str,
    data: &str,
) -> Result<hyper::Request<Full<Bytes>>, Error> {
    let body =
        serde_json::json!({ "name": EVENT, "channels": [channel], "data": data }).to_string();
    let path = format!("/apps/{}/events", args.app_id);
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    // Parameters sorted by name, as the signature requires.
    let query = format!(
        "auth_key={}&auth_timestamp={timestamp}&auth_version=1.0&body_md5={}",
        args.app_key,
        signature::body_md5(body.as_bytes())
    );
    let sig = signature::sign(&args.app_secret, &format!("POST\n{path}\n{query}"));
    Ok(
        hyper::Request::post(format!("{path}?{query}&auth_signature={sig}"))
            .header(hyper::header::HOST, host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?,
    )
}

/// One run at `rate`: warmup plus measured duration, then the drain.
async fn run_step(
    args: &Arc<Args>,
    shared: &Arc<Shared>,
    publishers: &mut Publishers,
    id: u32,
    rate: f64,
) -> Result<StepResult, Error> {
    let measure_from = (rate * args.warmup).round() as u64;
    let events = measure_from + (rate * args.duration).round() as u64;
    // Publishing starts 20 ms after the step is set up (below).
    let step = Arc::new(Step::new(
        id,
        events,
        measure_from,
        args,
        shared.now_us() + 20_000,
    ));
    if let Ok(mut s) = shared.step.write() {
        *s = Some(step.clone());
    }
    shared.step_id.store(id, Ordering::Release);
    let stale_before = shared.stale.load(Ordering::Relaxed);
    let cpu_before = (cpu_ms(args.server_pid), cpu_ms(Some(std::process::id())));
    let errors_before = shared.errors.load(Ordering::Relaxed);

    let host = format!("{}:{}", args.host, args.port);
    let pad: Arc<str> = Arc::from("x".repeat(args.payload.saturating_sub(48)));
    let first_error = Arc::new(Mutex::new(None::<String>));
    // Open loop: each event has its due time whatever happened to the others.
    let schedule = Arc::new(Schedule::new(
        tokio::time::Instant::now() + Duration::from_millis(20),
        rate,
        events,
    ));
    let start = schedule.start();
    let timeout = Args::secs(args.request_timeout);
    let mut tasks = Vec::new();
    for mut p in std::mem::take(&mut publishers.conns) {
        let (args, shared, step, schedule, host, pad, first_error) = (
            args.clone(),
            shared.clone(),
            step.clone(),
            schedule.clone(),
            host.clone(),
            pad.clone(),
            first_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut data = String::with_capacity(pad.len() + 64);
            while let Some(seq) = schedule.next().await {
                let channel = &shared.channel_names[seq as usize % args.channels];
                data.clear();
                let sent = shared.now_us();
                let _ = write!(
                    data,
                    r#"{{"r":{},"s":{seq},"t":{},"p":"{pad}"}}"#,
                    step.id, sent
                );
                let outcome = match signed_request(&args, &host, channel, &data) {
                    Ok(request) => publish(&mut p, request, timeout).await,
                    Err(e) => Err(e),
                };
                let answer = shared.now_us().saturating_sub(sent).max(1);
                if let Ok(mut h) = step.response.lock() {
                    h.saturating_record(answer);
                }
                if seq >= step.measure_from {
                    step.windows.answer(sent, answer);
                }
                match outcome {
                    Ok(()) => {
                        step.published.set(seq);
                        step.published_count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        step.publish_errors.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut first) = first_error.lock() {
                            first.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
            }
            p
        }));
    }
    for t in tasks {
        publishers.conns.push(t.await?);
    }
    let published_at = start.elapsed().as_secs_f64();
    let cpu_after = (cpu_ms(args.server_pid), cpu_ms(Some(std::process::id())));
    // Deliveries still on their way; stop early once everything published has arrived.
    let drain_until = tokio::time::Instant::now() + Args::secs(args.drain);
    let subs = args.subscribers as u64;
    while tokio::time::Instant::now() < drain_until
        && step.delivered_count.load(Ordering::Relaxed)
            < step.published_count.load(Ordering::Relaxed) * subs
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Later arrivals count as stale: they are late, and lost for this run.
    shared.step_id.store(0, Ordering::Release);

    let published = step.published_count.load(Ordering::Relaxed);
    let mut lost = 0;
    let mut unconfirmed = 0;
    for seq in 0..events {
        let ok = step.published.get(seq);
        for slot in 0..subs {
            let got = step.delivered.get(seq * subs + slot);
            match (ok, got) {
                (true, false) => lost += 1,
                (false, true) => unconfirmed += 1,
                _ => {}
            }
        }
    }
    let latency = step.latency.merged();
    let first_error = first_error.lock().ok().and_then(|mut e| e.take());
    let (response_p50, response_p99) = step.response.lock().map_or((0, 0), |h| {
        (h.value_at_quantile(0.5), h.value_at_quantile(0.99))
    });
    let disconnected = shared.dead.lock().map_or(0, |d| d.len());
    Ok(StepResult {
        rate,
        events,
        published,
        publish_errors: step.publish_errors.load(Ordering::Relaxed),
        first_error,
        expected: published * subs,
        delivered: step.delivered_count.load(Ordering::Relaxed),
        lost,
        unconfirmed,
        duplicates: step.duplicates.load(Ordering::Relaxed),
        misrouted: step.misrouted.load(Ordering::Relaxed),
        stale: shared.stale.load(Ordering::Relaxed) - stale_before,
        server_errors: shared.errors.load(Ordering::Relaxed) - errors_before,
        disconnected,
        achieved: published as f64 / published_at.max(1e-9),
        p50: latency.value_at_quantile(0.50),
        p99: latency.value_at_quantile(0.99),
        p999: latency.value_at_quantile(0.999),
        max: latency.max(),
        samples: latency.len(),
        response_p50,
        response_p99,
        worst: step.windows.worst(3),
        server_cpu_ms: cpu_before
            .0
            .zip(cpu_after.0)
            .map(|(b, a)| a.saturating_sub(b)),
        loadgen_cpu_ms: cpu_before
            .1
            .zip(cpu_after.1)
            .map(|(b, a)| a.saturating_sub(b)),
    })
}

/// The figures of one run.
struct StepResult {
    rate: f64,
    events: u64,
    published: u64,
    publish_errors: u64,
    first_error: Option<String>,
    expected: u64,
    delivered: u64,
    lost: u64,
    unconfirmed: u64,
    duplicates: u64,
    misrouted: u64,
    stale: u64,
    server_errors: u64,
    disconnected: usize,
    achieved: f64,
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
    samples: u64,
    response_p50: u64,
    response_p99: u64,
    /// The worst 100 ms windows: (seconds into the run, worst delivery, worst HTTP answer).
    worst: Vec<(f64, u64, u64)>,
    /// CPU time the server and the load generator used while publishing.
    server_cpu_ms: Option<u64>,
    loadgen_cpu_ms: Option<u64>,
}

impl StepResult {
    fn passed(&self, min_achieved: f64) -> bool {
        self.lost == 0
            && self.duplicates == 0
            && self.misrouted == 0
            && self.publish_errors == 0
            && self.disconnected == 0
            && self.achieved >= min_achieved * self.rate
    }

    fn ns_per_publish(&self, cpu_ms: Option<u64>) -> u64 {
        cpu_ms.map_or(0, |ms| ms * 1_000_000 / self.published.max(1))
    }

    fn print(&self, args: &Args, label: &str, rss_kb: Option<u64>) {
        println!(
            "[{label}] rate {:.0}/s: published {}/{} (errors {}) at {:.0}/s; expected {} delivered {} lost {} duplicates {} misrouted {}; \
             latency p50 {} us p99 {} us p99.9 {} us max {} us ({} samples); HTTP API answer p50 {} us p99 {} us; stale {} pusher:error {} disconnected {}; server RSS {}",
            self.rate,
            self.published,
            self.events,
            self.publish_errors,
            self.achieved,
            self.expected,
            self.delivered,
            self.lost,
            self.duplicates,
            self.misrouted,
            self.p50,
            self.p99,
            self.p999,
            self.max,
            self.samples,
            self.response_p50,
            self.response_p99,
            self.stale,
            self.server_errors,
            self.disconnected,
            show_kb(rss_kb),
        );
        let per_event = |ms: Option<u64>| {
            ms.filter(|_| self.published > 0)
                .map_or("n/a".to_owned(), |ms| {
                    format!("{:.1} us", ms as f64 * 1000.0 / self.published as f64)
                })
        };
        println!(
            "  CPU per publish: server {}, loadgen {}; machine load average {}",
            per_event(self.server_cpu_ms),
            per_event(self.loadgen_cpu_ms),
            load_average(),
        );
        if !self.worst.is_empty() {
            let windows: Vec<String> = self
                .worst
                .iter()
                .map(|(at, d, a)| {
                    format!(
                        "{at:.1} s: {:.1} / {:.1} ms",
                        *d as f64 / 1e3,
                        *a as f64 / 1e3
                    )
                })
                .collect();
            println!(
                "  worst 100 ms windows (seconds into the run: delivery / HTTP answer): {}",
                windows.join(", ")
            );
        }
        if let Some(e) = &self.first_error {
            println!("  first publish error: {e}");
        }
        if self.unconfirmed > 0 {
            println!(
                "  {} deliveries of events whose publish request failed",
                self.unconfirmed
            );
        }
        if matches!(args.mode, Mode::Latency | Mode::Scale) {
            println!(
                "RESULT mode=latency rate={:.0} achieved={:.0} published={} publish_errors={} expected={} delivered={} lost={} duplicates={} misrouted={} p50_us={} p99_us={} p999_us={} max_us={} rss_kb={} server_cpu_ns_per_publish={} loadgen_cpu_ns_per_publish={} load1={}",
                self.rate,
                self.achieved,
                self.published,
                self.publish_errors,
                self.expected,
                self.delivered,
                self.lost,
                self.duplicates,
                self.misrouted,
                self.p50,
                self.p99,
                self.p999,
                self.max,
                rss_kb.unwrap_or(0),
                self.ns_per_publish(self.server_cpu_ms),
                self.ns_per_publish(self.loadgen_cpu_ms),
                load_average().split(' ').next().unwrap_or("n/a"),
            );
        }
    }
}
