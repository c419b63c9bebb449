//! Chat messages appended through the service to a SQLite file, each acknowledged after its
//! commit, by 1 and by 8 concurrent writers (each on its own ticket, as 8 live chats would be,
//! and all 8 on one ticket, the contended case). Criterion reports messages per second.
//!
//! Run with: `cargo bench -p support-benches --bench append`

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use support_benches::Bench;

fn append(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));
    for (writers, shared_ticket) in [(1usize, false), (8, false), (8, true)] {
        let bench = Arc::new(rt.block_on(Bench::sqlite_file()).expect("bench store"));
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
        group.bench_function(BenchmarkId::new("sqlite_file", name), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (bench, tickets) = (bench.clone(), tickets.clone());
                async move {
                    let (posted, elapsed) = bench.run_writers(&tickets, shared_ticket, iters).await;
                    // Scale to exactly `iters` messages' worth of time.
                    elapsed.mul_f64(iters as f64 / posted as f64)
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
