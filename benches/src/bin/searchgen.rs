//! Run with: `benches/search.sh` (or `cargo run --release -p support-benches --bin searchgen -- --store sqlite --url sqlite:///tmp/s.db`)
//!
//! The full-text search bench: loads `--tickets` tickets with `--messages-per-ticket`
//! messages each (one in ten an internal note) of realistic words (helpdesk vocabulary among
//! thousands of rarer words, drawn with a Zipf-like distribution) into a fresh database through
//! the store's own schema and triggers (so the index is built the way writes build it), then
//! times the store's `search` (the ranked full-text search the API serves, 20 hits with
//! snippets) beside today's substring scan (`LIKE '%term%'` over subjects, descriptions and
//! messages, 20 rows, unranked; and the same scan counting every match, which is the least a
//! ranked scan would read) on the same data, for the same queries: every query is timed the
//! same number of times in each kind. Prints one table: p50 and p95 of each and the speed-up
//! factors against both scans (scan p50 / full-text p50, scan p95 / full-text p95), and the
//! load time.

use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use support_core::search::{SearchFilter, SearchQuery, SearchScope, SearchTerms};
use support_core::{SupportStore, UserId};

#[derive(Parser)]
struct Args {
    /// `sqlite` or `postgres`.
    #[arg(long)]
    store: String,
    /// The database: a fresh one (`sqlite:///path.db` or `postgres://…/db`).
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 100_000)]
    tickets: usize,
    #[arg(long, default_value_t = 10)]
    messages_per_ticket: usize,
    /// Timed rounds of each kind of search: each round runs every query once.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Timed rounds of the substring scan (slow; fewer), each over every query, so that it
    /// is timed on the same query set as the full-text search.
    #[arg(long, default_value_t = 2)]
    scan_rounds: usize,
    /// Search the database as it is, without loading (one kept with `KEEP_DB=1`): its
    /// schema is brought up to date by the store's migrations first.
    #[arg(long)]
    reuse: bool,
    /// Also print each query's slowest full-text times (to stderr).
    #[arg(long)]
    each: bool,
}

/// A small xorshift generator: the same data on every run, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// An index in 0..n, small ones far more often (log-uniform: Zipf with s = 1).
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (((n as f64).powf(u)) as usize).saturating_sub(1).min(n - 1)
    }
}

const COMMON: &[&str] = &[
    "the",
    "a",
    "to",
    "is",
    "my",
    "and",
    "not",
    "on",
    "it",
    "i",
    "in",
    "of",
    "for",
    "with",
    "can",
    "please",
    "since",
    "when",
    "after",
    "again",
    "still",
    "working",
    "error",
    "help",
    "issue",
    "problem",
    "today",
    "yesterday",
    "morning",
    "login",
    "password",
    "reset",
    "vpn",
    "laptop",
    "printer",
    "screen",
    "monitor",
    "keyboard",
    "email",
    "outlook",
    "teams",
    "calendar",
    "access",
    "account",
    "locked",
    "network",
    "wifi",
    "slow",
    "crash",
    "update",
    "install",
    "software",
    "license",
    "payroll",
    "payslip",
    "salary",
    "tax",
    "benefits",
    "holiday",
    "leave",
    "badge",
    "office",
    "desk",
    "chair",
    "parking",
    "meeting",
    "room",
    "phone",
    "mobile",
    "headset",
    "camera",
    "microphone",
    "certificate",
    "expired",
    "drive",
    "folder",
    "permission",
    "shared",
    "backup",
    "restore",
    "file",
    "upload",
    "download",
    "browser",
    "chrome",
    "firefox",
    "page",
    "blank",
    "timeout",
    "connection",
    "server",
    "database",
    "report",
    "invoice",
    "expense",
    "approval",
    "manager",
    "contract",
    "onboarding",
    "training",
    "floor",
    "kitchen",
    "heating",
    "broken",
    "replace",
    "order",
    "delivery",
    "thanks",
    "urgent",
    "asap",
    "tried",
    "restart",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "de", "ba", "gor", "lin", "mar", "tes", "pol",
    "qua", "zen", "fir", "wex", "dra", "um", "on", "ix", "el", "ab",
];

fn vocabulary(rng: &mut Rng) -> Vec<String> {
    let mut words: Vec<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
    while words.len() < 20_000 {
        let n = 2 + rng.below(3);
        let w: String = (0..n)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

fn sentence(rng: &mut Rng, words: &[String], min: usize, max: usize) -> String {
    let n = min + rng.below(max - min + 1);
    let mut s: Vec<&str> = (0..n)
        .map(|_| words[rng.zipf(words.len())].as_str())
        .collect();
    if let Some(first) = s.first_mut() {
        *first = first.trim();
    }
    let mut text = s.join(" ");
    text.push('.');
    text
}

struct Data {
    /// (employee, subject, description)
    tickets: Vec<(i64, String, String)>,
    /// (ticket index, internal, content)
    messages: Vec<(usize, bool, String)>,
}

fn generate(args: &Args) -> (Data, Vec<String>) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let words = vocabulary(&mut rng);
    let mut data = Data {
        tickets: Vec::with_capacity(args.tickets),
        messages: Vec::with_capacity(args.tickets * args.messages_per_ticket),
    };
    for _ in 0..args.tickets {
        let employee = 1000 + rng.below(5000) as i64;
        data.tickets.push((
            employee,
            sentence(&mut rng, &words, 3, 8),
            sentence(&mut rng, &words, 12, 40),
        ));
    }
    for i in 0..args.tickets * args.messages_per_ticket {
        data.messages.push((
            i % args.tickets,
            rng.below(10) == 0,
            sentence(&mut rng, &words, 6, 30),
        ));
    }
    // Queries as people type them: a common helpdesk word, two of them, a rarer word, a word
    // cut short.
    let mut queries: Vec<String> = Vec::new();
    for w in [
        "vpn",
        "printer",
        "password reset",
        "payslip tax",
        "certificate expired",
        "outlook",
        "passw",
        "monitor flick",
        "badge",
        "wifi slow",
        "restart laptop",
        "heating floor",
    ] {
        queries.push(w.to_owned());
    }
    for _ in 0..12 {
        queries.push(words[150 + rng.below(3000)].clone());
    }
    for _ in 0..6 {
        let w = &words[150 + rng.below(2000)];
        queries.push(w.chars().take(4).collect());
    }
    (data, queries)
}

type BoxError = support_benches::BoxError;

async fn load_sqlite(url: &str, data: &Data) -> Result<(), BoxError> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    let mut conn = SqliteConnectOptions::from_str(url)?.connect().await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .await?;
    let mut tx = conn.begin().await?;
    let now = support_core::time::to_micros(support_core::time::now());
    for (i, (employee, subject, description)) in data.tickets.iter().enumerate() {
        let id = i as i64 + 1;
        sqlx::query(
            "INSERT INTO tickets (id, ticket_number, employee_id, subject, description, category, priority, status, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'it', 1, 'open', ?, ?)",
        )
        .bind(id)
        .bind(format!("TKT-{id:06}"))
        .bind(employee)
        .bind(subject)
        .bind(description)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (ticket, internal, content) in &data.messages {
        sqlx::query(
            "INSERT INTO messages (ticket_id, author_id, author_name, author_type, content, is_internal, created_at) \
             VALUES (?, 7, 'Sam', 'support', ?, ?, ?)",
        )
        .bind(*ticket as i64 + 1)
        .bind(content)
        .bind(*internal as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    Ok(())
}

async fn load_postgres(url: &str, data: &Data) -> Result<(), BoxError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let now = chrono::Utc::now();
    for chunk in data.tickets.chunks(10_000) {
        let employees: Vec<i64> = chunk.iter().map(|t| t.0).collect();
        let subjects: Vec<&str> = chunk.iter().map(|t| t.1.as_str()).collect();
        let descriptions: Vec<&str> = chunk.iter().map(|t| t.2.as_str()).collect();
        sqlx::query(
            "WITH t AS (INSERT INTO tickets (employee_id, subject, description, category, priority, status, created_at) \
               SELECT e, s, d, 'it', 1, 'open', $4 FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(e, s, d) \
               RETURNING id, employee_id) \
             INSERT INTO ticket_activity (ticket_id, employee_id, updated_at) SELECT id, employee_id, $4 FROM t",
        )
        .bind(&employees)
        .bind(&subjects)
        .bind(&descriptions)
        .bind(now)
        .execute(&mut conn)
        .await?;
    }
    for chunk in data.messages.chunks(20_000) {
        let tickets: Vec<i64> = chunk.iter().map(|m| m.0 as i64 + 1).collect();
        let internal: Vec<bool> = chunk.iter().map(|m| m.1).collect();
        let contents: Vec<&str> = chunk.iter().map(|m| m.2.as_str()).collect();
        sqlx::query(
            "INSERT INTO messages (ticket_id, author_id, author_name, author_type, content, is_internal, created_at) \
             SELECT t, 7, 'Sam', 'support', c, i, $4 FROM unnest($1::bigint[], $2::text[], $3::bool[]) AS u(t, c, i)",
        )
        .bind(&tickets)
        .bind(&contents)
        .bind(&internal)
        .bind(now)
        .execute(&mut conn)
        .await?;
    }
    sqlx::query("VACUUM ANALYZE").execute(&mut conn).await?;
    Ok(())
}

/// Today's substring scan: every word as `LIKE '%word%'` (lowercased) in a ticket's subject or
/// description, or in a message; the first 20 rows, unranked (`every`: false), or every
/// matching row counted (`every`: true), which is what ranking the matches by a scan would
/// have to read at the least.
fn like_sql(postgres: bool, n: usize, every: bool) -> String {
    let p = |i: usize| {
        if postgres {
            format!("${i}")
        } else {
            format!("?{i}")
        }
    };
    let all = |col: &str| {
        (1..=n)
            .map(|i| format!("lower({col}) LIKE {}", p(i)))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let (select, limit) = if every {
        ("count(*)", "")
    } else {
        ("id", " LIMIT 20")
    };
    format!(
        "SELECT {select} FROM (SELECT id FROM tickets WHERE ({}) OR ({}) \
         UNION ALL SELECT ticket_id FROM messages WHERE {}) h{limit}",
        all("subject"),
        all("description"),
        all("content")
    )
}

struct Timings(Histogram<u64>);

impl Timings {
    fn new() -> Self {
        Timings(Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds"))
    }
    fn record(&mut self, d: Duration) {
        let _ = self.0.record((d.as_micros() as u64).max(1));
    }
    fn ms(&self, q: f64) -> f64 {
        self.0.value_at_quantile(q) as f64 / 1000.0
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let postgres = match args.store.as_str() {
        "sqlite" => false,
        "postgres" => true,
        other => return Err(format!("--store sqlite|postgres, not {other}").into()),
    };
    let (data, queries) = generate(&args);
    // Open once through the store: its migrations make the schema, indexes and triggers.
    let store: Box<dyn SupportStore> = if postgres {
        Box::new(support_store_postgres::PgStore::connect(&args.url).await?)
    } else {
        Box::new(support_store_sqlite::SqliteStore::open(&args.url).await?)
    };
    let started = Instant::now();
    if args.reuse {
        eprintln!("reusing the database as it is");
    } else if postgres {
        load_postgres(&args.url, &data).await?;
    } else {
        load_sqlite(&args.url, &data).await?;
    }
    let load = started.elapsed();
    eprintln!(
        "loaded {} tickets and {} messages in {:.1} s",
        data.tickets.len(),
        data.messages.len(),
        load.as_secs_f64()
    );
    // Reopen, so that the store's readers see the loaded file from a clean start.
    drop(store);
    let store: Box<dyn SupportStore> = if postgres {
        Box::new(support_store_postgres::PgStore::connect(&args.url).await?)
    } else {
        Box::new(support_store_sqlite::SqliteStore::open(&args.url).await?)
    };

    let search = |scope: SearchScope, q: &str| SearchQuery {
        terms: SearchTerms::parse(q).expect("a valid query"),
        scope,
        filter: SearchFilter::default(),
        offset: 0,
        limit: 21,
    };
    // Warm up: each query once.
    let mut hits = 0;
    for q in &queries {
        hits += store
            .search(&search(SearchScope::Everything, q))
            .await?
            .len();
    }
    let mut staff = Timings::new();
    let mut employee = Timings::new();
    // Each query's slowest staff and employee time, for --each.
    let mut worst = vec![(Duration::ZERO, Duration::ZERO); queries.len()];
    for i in 0..args.rounds * queries.len() {
        let q = &queries[i % queries.len()];
        let t = Instant::now();
        store.search(&search(SearchScope::Everything, q)).await?;
        let took = t.elapsed();
        staff.record(took);
        worst[i % queries.len()].0 = worst[i % queries.len()].0.max(took);
        let who = UserId(1000 + (i as i64 * 7919) % 5000);
        let t = Instant::now();
        store.search(&search(SearchScope::Employee(who), q)).await?;
        let took = t.elapsed();
        employee.record(took);
        worst[i % queries.len()].1 = worst[i % queries.len()].1.max(took);
    }
    if args.each {
        for (q, (s, e)) in queries.iter().zip(&worst) {
            eprintln!(
                "{q:<22} slowest staff {:>8.2} ms, employee {:>8.2} ms",
                s.as_secs_f64() * 1000.0,
                e.as_secs_f64() * 1000.0
            );
        }
    }

    let mut scan = Timings::new();
    let mut scan_every = Timings::new();
    let pool_pg;
    let pool_lite;
    if postgres {
        pool_pg = Some(sqlx::PgPool::connect(&args.url).await?);
        pool_lite = None;
    } else {
        pool_lite = Some(sqlx::SqlitePool::connect(&args.url).await?);
        pool_pg = None;
    }
    for i in 0..args.scan_rounds * queries.len() {
        let q = &queries[i % queries.len()];
        let words: Vec<String> = q
            .split_whitespace()
            .map(|w| format!("%{}%", w.to_lowercase()))
            .collect();
        for (every, timings) in [(false, &mut scan), (true, &mut scan_every)] {
            let sql = like_sql(postgres, words.len(), every);
            let t = Instant::now();
            if let Some(pool) = &pool_pg {
                let mut query = sqlx::query(&sql);
                for w in &words {
                    query = query.bind(w);
                }
                query.fetch_all(pool).await?;
            } else if let Some(pool) = &pool_lite {
                let mut query = sqlx::query(&sql);
                for w in &words {
                    query = query.bind(w);
                }
                query.fetch_all(pool).await?;
            }
            timings.record(t.elapsed());
        }
    }

    println!();
    println!(
        "{} · {} tickets, {} messages · {} queries ({} rounds full-text, {} rounds scan) · load {:.1} s · {} hits over the warm-up",
        args.store,
        data.tickets.len(),
        data.messages.len(),
        queries.len(),
        args.rounds,
        args.scan_rounds,
        load.as_secs_f64(),
        hits
    );
    println!(
        "Speed-up: the scan's time over this one's, against the 20-row scan / against the scan of every match."
    );
    println!(
        "| search                                   |  p50 ms |  p95 ms | speed-up p50 | speed-up p95 |"
    );
    println!(
        "|------------------------------------------|--------:|--------:|-------------:|-------------:|"
    );
    let row = |name: &str, t: &Timings| {
        let x = |q: f64| {
            format!(
                "{:.1}x / {:.1}x",
                scan.ms(q) / t.ms(q),
                scan_every.ms(q) / t.ms(q)
            )
        };
        println!(
            "| {name:<40} | {:>7.2} | {:>7.2} | {:>12} | {:>12} |",
            t.ms(0.5),
            t.ms(0.95),
            x(0.5),
            x(0.95)
        );
    };
    row("full-text, staff (everything)", &staff);
    row("full-text, one employee's tickets", &employee);
    row("substring scan LIKE '%term%', 20 rows", &scan);
    row("substring scan LIKE '%term%', every match", &scan_every);
    Ok(())
}
