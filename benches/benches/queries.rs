//! The staff dashboard and filtered ticket lists over 100,000 tickets in a SQLite file.
//! Before criterion's estimates, each query runs 2,000 times and its p50/p99 latency is printed,
//! since the goal is stated as a p99.
//!
//! Run with: `cargo bench -p support-benches --bench queries`

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use support_benches::{Bench, Recorder};
use support_core::*;

const TICKETS: usize = 100_000;

async fn seed(bench: &Bench) {
    let started = Instant::now();
    let cats = Category::ALL;
    let prios = Priority::ALL;
    // A fixed mix: 60% active (open / in progress / pending), 40% resolved or closed.
    for i in 0..TICKETS {
        let input = NewTicket::parse(
            &format!("Ticket {i}: printer on floor {}", i % 13),
            &format!("Seeded description {i}, about things that break"),
            cats[i % cats.len()].as_str(),
            prios[(i / 7) % prios.len()].as_str(),
        )
        .expect("valid");
        let t = bench
            .service
            .create_ticket(&bench.employee, input, &WriteContext::default())
            .await
            .expect("create");
        let status = Status::ALL[(i * 7 + 3) % 10 / 2];
        let assigned = (i % 3 == 0).then_some(bench.staff.id);
        if status != Status::Open || assigned.is_some() {
            let patch = TicketPatch {
                status: Some(status),
                assigned_to: assigned.map(Some),
                priority: None,
            };
            bench
                .service
                .update_ticket(&bench.staff, t.id, patch, &WriteContext::default())
                .await
                .expect("update");
        }
    }
    eprintln!("seeded {TICKETS} tickets in {:.1?}", started.elapsed());
}

fn queries(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bench = rt.block_on(async {
        let bench = Bench::sqlite_file().await.expect("bench store");
        seed(&bench).await;
        bench
    });
    let second_page = rt.block_on(async {
        let first = bench
            .service
            .dashboard(&bench.staff, &PageRequest::default())
            .await
            .expect("dashboard");
        PageRequest {
            cursor: first.tickets.next_cursor,
            limit: None,
        }
    });
    let open_high = TicketFilter {
        statuses: vec![Status::Open],
        priority: Some(Priority::High),
        ..Default::default()
    };
    let it_pending_mine = TicketFilter {
        statuses: vec![Status::Pending],
        category: Some(Category::It),
        assigned_to: Some(Some(bench.staff.id)),
        ..Default::default()
    };
    let text = TicketFilter {
        text: Some("floor 7".into()),
        ..Default::default()
    };

    type Query<'a> =
        Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> + 'a>;
    let cases: Vec<(&str, Query<'_>)> = vec![
        (
            "dashboard",
            Box::new(|| {
                Box::pin(async {
                    bench
                        .service
                        .dashboard(&bench.staff, &PageRequest::default())
                        .await
                        .expect("q");
                })
            }),
        ),
        (
            "dashboard_page_2",
            Box::new(|| {
                Box::pin(async {
                    bench
                        .service
                        .dashboard(&bench.staff, &second_page)
                        .await
                        .expect("q");
                })
            }),
        ),
        (
            "list_open_high",
            Box::new(|| {
                Box::pin(async {
                    bench
                        .service
                        .list_tickets(&bench.staff, open_high.clone(), &PageRequest::default())
                        .await
                        .expect("q");
                })
            }),
        ),
        (
            "list_it_pending_assigned",
            Box::new(|| {
                Box::pin(async {
                    bench
                        .service
                        .list_tickets(
                            &bench.staff,
                            it_pending_mine.clone(),
                            &PageRequest::default(),
                        )
                        .await
                        .expect("q");
                })
            }),
        ),
        (
            "list_text_query",
            Box::new(|| {
                Box::pin(async {
                    bench
                        .service
                        .list_tickets(&bench.staff, text.clone(), &PageRequest::default())
                        .await
                        .expect("q");
                })
            }),
        ),
        (
            "stats",
            Box::new(|| {
                Box::pin(async {
                    bench.service.stats(&bench.staff).await.expect("q");
                })
            }),
        ),
    ];

    for (name, run) in &cases {
        let mut rec = Recorder::default();
        rt.block_on(async {
            for _ in 0..2_000 {
                let t = Instant::now();
                run().await;
                rec.record(t.elapsed());
            }
        });
        let l = rec.latency();
        eprintln!(
            "{name:>26}: p50 {} µs, p99 {} µs, max {} µs over {} runs",
            l.p50, l.p99, l.max, l.count
        );
    }

    let mut group = c.benchmark_group("queries_100k");
    group.measurement_time(Duration::from_secs(4));
    for (name, run) in &cases {
        group.bench_function(*name, |b| b.to_async(&rt).iter(run));
    }
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
