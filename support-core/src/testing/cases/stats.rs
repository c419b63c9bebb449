//! The badge counts, exact on every read.

use super::*;

pub async fn stats_equal_a_recount_after_mixed_operations(store: Store) {
    let f = Fixture::new(store);
    let mut tickets = Vec::new();
    // A fixed pseudo-random walk (xorshift) so every store sees the same sequence.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for step in 0..120 {
        match next(3) {
            0 => {
                let owner = if next(2) == 0 { &f.alice } else { &f.bob };
                tickets.push(
                    f.ticket(owner, &format!("s{step}"), Priority::ALL[next(4)])
                        .await
                        .id,
                );
            }
            _ if !tickets.is_empty() => {
                let id = tickets[next(tickets.len())];
                let patch = TicketPatch {
                    status: (next(2) == 0).then(|| Status::ALL[next(5)]),
                    priority: (next(2) == 0).then(|| Priority::ALL[next(4)]),
                    assigned_to: None,
                };
                f.patch(&f.sam, id, patch).await;
            }
            _ => {}
        }
        let all = f.list_all(TicketFilter::default()).await;
        let stats = f.service.stats(&f.sam).await.unwrap();
        assert_eq!(stats, Stats::count(&all), "after step {step}");
    }
}

pub async fn stats_count_urgent_only_while_open_or_in_progress(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "fire", Priority::Urgent).await;
    assert_eq!(
        f.service.stats(&f.sam).await.unwrap(),
        Stats {
            open: 1,
            in_progress: 0,
            urgent: 1
        }
    );
    f.patch(&f.sam, t.id, status(Status::InProgress)).await;
    assert_eq!(
        f.service.stats(&f.sam).await.unwrap(),
        Stats {
            open: 0,
            in_progress: 1,
            urgent: 1
        }
    );
    f.patch(&f.sam, t.id, status(Status::Pending)).await;
    assert_eq!(
        f.service.stats(&f.sam).await.unwrap(),
        Stats {
            open: 0,
            in_progress: 0,
            urgent: 0
        }
    );
    f.patch(&f.sam, t.id, status(Status::Open)).await;
    f.patch(
        &f.sam,
        t.id,
        TicketPatch {
            priority: Some(Priority::High),
            ..TicketPatch::default()
        },
    )
    .await;
    assert_eq!(
        f.service.stats(&f.sam).await.unwrap(),
        Stats {
            open: 1,
            in_progress: 0,
            urgent: 0
        }
    );
}
