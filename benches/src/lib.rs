//! # support-benches
//!
//! Shared set-up for the criterion benches in `benches/` (run them with
//! `cargo bench -p support-benches`):
//!
//! - `append`: chat messages appended through [`SupportService`] to a SQLite file, by 1 and by
//!   8 concurrent writers, each acknowledged after its commit;
//! - `queries`: the staff dashboard and a filtered ticket list over 100,000 tickets, with the
//!   latency distribution (p50/p99) printed beside criterion's estimates;
//! - `append_postgres`: the append bench on PostgreSQL, by 8 and by 32 concurrent writers.
//!   `benches/pg-vs-pgbench.sh` runs it beside `pgbench` doing single-row inserts with the same
//!   client counts on the same database, and prints both figures.
//!
//! The websocket load generator is this crate's binary `loadgen` (`src/bin/loadgen.rs`): it
//! drives any Pusher-protocol server with subscribed connections and HTTP API publishes and
//! reports deliveries, losses, latency percentiles and the server's memory and CPU.
//! `benches/ws-vs-sockudo.sh` runs `support-transport-ws` (its `bench_server` example) and
//! sockudo one after the other under the same load and prints the figures side by side.
//! `benches/ws-100k.sh` holds 100,000 subscribed connections on one `reference-server` process
//! (then on sockudo), and reports the memory per connection, the time to connect them all and
//! the fan-out latency at 5,000 publishes/s while they are connected (loadgen's `scale` mode);
//! both scripts share `benches/ws-common.sh`. None is part of `cargo test` or CI: they take
//! minutes and want the machine to themselves.
//!
//! The end-to-end chat load generator is the binary `chatgen` (`src/bin/chatgen.rs`): it drives
//! the real `reference-server` binary with employees and staff on websockets, chat messages
//! POSTed to `/chat` at a fixed rate, and measures each message from its POST to its delivery
//! on the other side's socket. `benches/chat-e2e.sh` runs it on SQLite and PostgreSQL: a fixed
//! rate (2,000 messages/s) and the highest rate with nothing lost, each run on a fresh server.
//!
//! The pieces both load generators use are this library's modules: [`pusher`] (the Pusher
//! protocol client side), [`http`] (keep-alive HTTP connections), [`pace`] (the open-loop
//! schedule), [`tally`] (delivery bitmaps, histograms, worst windows) and [`process`] (the
//! server's memory and CPU time).
//!
//! ```text
//! apt-get install -y protobuf-compiler && cargo install sockudo   # once
//! benches/ws-vs-sockudo.sh
//! cargo run --release -p support-benches --bin loadgen -- --help
//! ```
//!
//! ```no_run
//! # async fn demo() -> support_core::Result<()> {
//! let bench = support_benches::Bench::sqlite_file().await?;
//! let ticket = bench.ticket().await?;
//! bench.say(ticket, "hello").await?;
//! # Ok(()) }
//! ```

pub mod http;
pub mod pace;
pub mod process;
pub mod pusher;
pub mod tally;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use support_core::*;
use support_store_postgres::{PgOptions, PgStore};
use support_store_sqlite::SqliteStore;

/// The error type of the load generators: anything, with its message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A service over a store the benches measure, with the cast they use.
pub struct Bench {
    /// The service under test.
    pub service: SupportService,
    /// An employee.
    pub employee: Actor,
    /// A support agent.
    pub staff: Actor,
    /// The SQLite file's directory, removed with the bench.
    _dir: Option<tempfile::TempDir>,
}

impl Bench {
    /// A service on a new SQLite file (WAL, synchronous=NORMAL: the store's defaults).
    pub async fn sqlite_file() -> Result<Self> {
        let dir = tempfile::tempdir().map_err(Error::backend)?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = SqliteStore::open(&url).await?;
        Ok(Self::over(store, Some(dir)))
    }

    /// A service on the PostgreSQL database at `url` (migrated on connect), with a pool of
    /// `connections`: one per concurrent writer, as many as `pgbench -c` opens.
    pub async fn postgres(url: &str, connections: u32) -> Result<Self> {
        let options = PgOptions {
            max_connections: connections,
            ..PgOptions::default()
        };
        let store = PgStore::connect_with(url, options).await?;
        Ok(Self::over(store, None))
    }

    fn over(store: impl SupportStore, dir: Option<tempfile::TempDir>) -> Self {
        let employee = Actor::new(1, "Bench Employee", Role::Employee);
        let staff = Actor::new(2, "Bench Support", Role::Support);
        let directory = StaticDirectory::new([employee.clone(), staff.clone()]);
        let service = SupportService::new(store, NoBroadcast, directory);
        Bench {
            service,
            employee,
            staff,
            _dir: dir,
        }
    }

    /// Opens a ticket for the employee.
    pub async fn ticket(&self) -> Result<TicketId> {
        let input = NewTicket::parse("Bench ticket", "created by the benchmark", "it", "medium")?;
        Ok(self
            .service
            .create_ticket(&self.employee, input, &WriteContext::default())
            .await?
            .id)
    }

    /// Posts one public message as the employee.
    pub async fn say(&self, ticket: TicketId, text: &str) -> Result<Message> {
        let body = NewMessage::public(MessageBody::parse(text)?);
        self.service
            .post_message(&self.employee, ticket, body, &WriteContext::default())
            .await
    }

    /// The append benches' load: one concurrent writer per ticket of `tickets` (or all of
    /// them on `tickets[0]` when `shared_ticket`), together at least `messages` messages, each
    /// writer posting its share in turn. Returns how many were posted and how long it took.
    pub async fn run_writers(
        self: &Arc<Self>,
        tickets: &[TicketId],
        shared_ticket: bool,
        messages: u64,
    ) -> (u64, Duration) {
        let writers = tickets.len() as u64;
        let per_writer = messages.div_ceil(writers);
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(tickets.len());
        for (w, own) in tickets.iter().enumerate() {
            let bench = Arc::clone(self);
            let ticket = if shared_ticket { tickets[0] } else { *own };
            tasks.push(tokio::spawn(async move {
                for i in 0..per_writer {
                    bench
                        .say(ticket, &format!("writer {w} message {i}"))
                        .await
                        .expect("append");
                }
            }));
        }
        for t in tasks {
            t.await.expect("writer");
        }
        (per_writer * writers, start.elapsed())
    }
}

/// Latency figures of a run, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Worst.
    pub max: u64,
    /// How many samples.
    pub count: u64,
}

/// Collects durations and reports percentiles.
pub struct Recorder(Histogram<u64>);

impl Default for Recorder {
    fn default() -> Self {
        // 1 µs to 60 s at 3 significant digits.
        Recorder(Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid"))
    }
}

impl Recorder {
    /// Records one sample (clamped to the histogram's range).
    pub fn record(&mut self, d: Duration) {
        self.0
            .saturating_record(d.as_micros().clamp(1, 60_000_000) as u64);
    }

    /// The figures so far.
    pub fn latency(&self) -> Latency {
        Latency {
            p50: self.0.value_at_quantile(0.50),
            p99: self.0.value_at_quantile(0.99),
            max: self.0.max(),
            count: self.0.len(),
        }
    }
}
