//! Chat messages appended through the service to a SQLite file, each acknowledged after its
//! commit, by 1 and by 8 concurrent writers (each on its own ticket, as 8 live chats would be,
//! and all 8 on one ticket, the contended case). Criterion reports messages per second.
//!
//! Run with: `cargo bench -p support-benches --bench append`

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::sync::Arc;
use std::time::{Duration, Instant};

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
                    let per_writer = iters.div_ceil(writers as u64);
                    let start = Instant::now();
                    let mut tasks = Vec::with_capacity(writers);
                    for w in 0..writers {
                        let bench = bench.clone();
                        let ticket = if shared_ticket {
                            tickets[0]
                        } else {
                            tickets[w]
                        };
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
                    // Scale to exactly `iters` messages' worth of time.
                    start
                        .elapsed()
                        .mul_f64(iters as f64 / (per_writer * writers as u64) as f64)
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
