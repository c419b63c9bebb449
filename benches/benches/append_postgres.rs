//! Chat messages appended through the service to PostgreSQL, each acknowledged after its
//! commit, by 8 and by 32 concurrent writers, each on its own ticket (as that many live chats
//! would be), and by 8 writers on one ticket (the contended case: appends to one ticket queue
//! on its row lock, which is what keeps its ids in commit order). Criterion reports messages
//! per second; each case also prints its overall rate for `benches/pg-vs-pgbench.sh`.
//!
//! Run with: `SUPPORT_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/support_bench
//! cargo bench -p support-benches --bench append_postgres` (the database must exist; the bench
//! migrates it). Without a reachable database it says so and measures nothing.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use support_benches::Bench;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/support_bench";

fn append(c: &mut Criterion) {
    let url = std::env::var("SUPPORT_BENCH_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("append_postgres");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    for (writers, shared_ticket) in [(8usize, false), (32, false), (8, true)] {
        let bench = match rt.block_on(Bench::postgres(&url, writers as u32)) {
            Ok(b) => Arc::new(b),
            Err(e) => {
                eprintln!("!!!!! SKIPPED append_postgres: cannot use {url}: {e}");
                return;
            }
        };
        let tickets = rt.block_on(async {
            let mut t = Vec::new();
            for _ in 0..writers {
                t.push(bench.ticket().await.expect("ticket"));
            }
            t
        });
        let name = if shared_ticket {
            format!("{writers}_writers_one_ticket")
        } else {
            format!("{writers}_writers")
        };
        // Every message and every nanosecond criterion measured, for the overall rate.
        let messages = Arc::new(AtomicU64::new(0));
        let nanos = Arc::new(AtomicU64::new(0));
        group.bench_function(BenchmarkId::new("service", &name), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (bench, tickets) = (bench.clone(), tickets.clone());
                let (messages, nanos) = (messages.clone(), nanos.clone());
                async move {
                    let (posted, elapsed) = bench.run_writers(&tickets, shared_ticket, iters).await;
                    messages.fetch_add(posted, Ordering::Relaxed);
                    nanos.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
                    // Scale to exactly `iters` messages' worth of time.
                    elapsed.mul_f64(iters as f64 / posted as f64)
                }
            });
        });
        let (n, ns) = (
            messages.load(Ordering::Relaxed),
            nanos.load(Ordering::Relaxed),
        );
        if ns > 0 {
            println!(
                "OVERALL append_postgres/{name}: {:.0} messages/s ({n} messages)",
                n as f64 / (ns as f64 / 1e9)
            );
        }
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
