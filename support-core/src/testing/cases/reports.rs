//! Reports: a known history with fixed timestamps, and every figure of every grouping.

use chrono::{NaiveDate, TimeDelta};

use super::*;
use crate::report::{Durations, GroupBy, ReportFacts, ReportRange, ReportRow};
use crate::store::{Author, MessageDraft, TicketChange};
use crate::testing::drafts;

fn day(d: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        + TimeDelta::days(i64::from(d) - 1)
}

fn hours(h: i64) -> TimeDelta {
    TimeDelta::hours(h)
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

/// One ticket of the history: opened at `at`, answered by staff `by` after `answer` seconds,
/// assigned to `by`, resolved after `resolve` seconds.
struct Spec {
    at: Timestamp,
    category: &'static str,
    priority: &'static str,
    by: Option<i64>,
    answer: Option<i64>,
    resolve: Option<i64>,
}

async fn build(store: &Store, s: &Spec) -> TicketId {
    let d = drafts::ticket(101, "report", s.category, s.priority, s.at);
    let t = store.create_ticket(&d).await.unwrap().into_inner().0;
    if let Some(by) = s.by {
        let change = TicketChange {
            patch: TicketPatch {
                assigned_to: Some(Some(UserId(by))),
                ..TicketPatch::default()
            },
            author: drafts::author(by),
            idempotency_key: None,
            expected_version: None,
            at: s.at + secs(1),
            sla: SlaTargets::default(),
        };
        store.update_ticket(t.id, &change).await.unwrap();
    }
    // An employee's follow-up and a note first: neither is a response.
    store
        .append_message(&drafts::message(t.id, 101, "anyone?", s.at + secs(2)))
        .await
        .unwrap();
    if let (Some(by), Some(after)) = (s.by, s.answer) {
        let author = Author {
            id: UserId(by),
            name: format!("user {by}"),
            origin: None,
        };
        let body = || MessageBody::parse("looking").unwrap();
        let note = MessageDraft {
            ticket_id: t.id,
            author: author.clone(),
            author_type: AuthorType::Support,
            message: NewMessage::internal(body()),
            attachments: Vec::new(),
            idempotency_key: None,
            at: s.at + secs(3),
        };
        store.append_message(&note).await.unwrap();
        let reply = MessageDraft {
            message: NewMessage::public(body()),
            at: s.at + secs(after),
            ..note
        };
        store.append_message(&reply).await.unwrap();
    }
    if let Some(after) = s.resolve {
        let change = TicketChange {
            patch: status(Status::Resolved),
            author: drafts::author(201),
            idempotency_key: None,
            expected_version: None,
            at: s.at + secs(after),
            sla: SlaTargets::default(),
        };
        store.update_ticket(t.id, &change).await.unwrap();
    }
    t.id
}

fn row(
    key: Option<&str>,
    created: u64,
    resolved: u64,
    first: (Option<i64>, Option<i64>),
    resolution: (Option<i64>, Option<i64>),
    sla_breaches: u64,
) -> ReportRow {
    ReportRow {
        key: key.map(str::to_owned),
        created,
        resolved,
        first_response: Durations {
            median_s: first.0,
            p90_s: first.1,
        },
        resolution: Durations {
            median_s: resolution.0,
            p90_s: resolution.1,
        },
        sla_breaches,
    }
}

const NONE: (Option<i64>, Option<i64>) = (None, None);

fn both(a: i64, b: i64) -> (Option<i64>, Option<i64>) {
    (Some(a), Some(b))
}

pub async fn report_figures_are_exact_for_every_grouping(store: Store) {
    let spec = |at, category, priority, by, answer, resolve| Spec {
        at,
        category,
        priority,
        by,
        answer,
        resolve,
    };
    let history = [
        // T1..T3 on 1 March.
        spec(day(1), "it", "high", Some(201), Some(600), Some(3600)),
        spec(
            day(1) + hours(6),
            "it",
            "low",
            Some(202),
            Some(1800),
            Some(86400),
        ),
        spec(
            day(1) + hours(12),
            "hr",
            "urgent",
            Some(201),
            Some(7200),
            None,
        ),
        // T4, T5 on 2 March.
        spec(day(2), "hr", "medium", None, None, None),
        spec(
            day(2) + hours(3),
            "payroll",
            "high",
            Some(201),
            Some(60),
            Some(1200),
        ),
        // T6 opened before the range, resolved in it.
        spec(
            day(0) + hours(12),
            "it",
            "medium",
            Some(202),
            Some(300),
            Some(86400),
        ),
        // T7 opened the instant after the range.
        spec(day(4), "other", "low", Some(202), Some(10), Some(20)),
    ];
    let mut ids = Vec::new();
    for s in &history {
        ids.push(build(&store, s).await);
    }
    // The sweep at 23:00 on 3 March, with the default targets: T3 missed both clocks (urgent:
    // answered after 2 h, open after 8 h), T4 its first response (medium, 8 h).
    let breaches = store
        .mark_sla_breaches(day(3) + hours(23), 100)
        .await
        .unwrap();
    let marked: Vec<(TicketId, SlaClock)> =
        breaches.iter().map(|b| (b.ticket_id, b.clock)).collect();
    assert_eq!(
        marked,
        vec![
            (ids[2], SlaClock::FirstResponse),
            (ids[2], SlaClock::Resolution),
            (ids[3], SlaClock::FirstResponse),
        ]
    );

    let range =
        ReportRange::parse(Some("2026-03-01"), Some("2026-03-03"), day(30).date_naive()).unwrap();
    let (from, to) = range.bounds();
    let mut facts = store.report_facts(from, to).await.unwrap();
    facts.sort_by_key(|f| f.id);
    assert_eq!(
        facts.iter().map(|f| f.id).collect::<Vec<_>>(),
        ids[..6].to_vec(),
        "the tickets opened or resolved in the range, and no other"
    );
    let t3 = &facts[2];
    assert_eq!(
        (t3.first_response_at, t3.sla_breaches),
        (Some(day(1) + hours(12) + secs(7200)), 2)
    );
    assert_eq!(facts[5], {
        let t6 = store.ticket(ids[5]).await.unwrap().unwrap();
        ReportFacts::of(&t6)
    });

    let f = Fixture::new(store.clone());
    let report = |g| {
        let f = &f;
        async move { f.service.report(&f.sam, &range, g).await.unwrap() }
    };

    let by_day = report(GroupBy::Day).await;
    assert_eq!(
        (by_day.from.as_str(), by_day.to.as_str()),
        ("2026-03-01", "2026-03-03")
    );
    let rows: Vec<ReportRow> = by_day.groups.iter().map(|g| g.row.clone()).collect();
    assert_eq!(
        rows,
        vec![
            row(
                Some("2026-03-01"),
                3,
                2,
                both(1800, 7200),
                both(3600, 86400),
                2
            ),
            row(Some("2026-03-02"), 2, 2, both(60, 60), both(1200, 86400), 1),
            row(Some("2026-03-03"), 0, 0, NONE, NONE, 0),
        ]
    );
    assert_eq!(
        by_day.total,
        row(None, 5, 4, both(600, 7200), both(3600, 86400), 3)
    );

    let by_category = report(GroupBy::Category).await;
    let rows: Vec<ReportRow> = by_category.groups.iter().map(|g| g.row.clone()).collect();
    assert_eq!(
        rows,
        vec![
            row(Some("it"), 2, 3, both(600, 1800), both(86400, 86400), 0),
            row(Some("hr"), 2, 0, both(7200, 7200), NONE, 3),
            row(Some("payroll"), 1, 1, both(60, 60), both(1200, 1200), 0),
            row(Some("benefits"), 0, 0, NONE, NONE, 0),
            row(Some("facilities"), 0, 0, NONE, NONE, 0),
            row(Some("other"), 0, 0, NONE, NONE, 0),
        ]
    );

    let by_priority = report(GroupBy::Priority).await;
    let rows: Vec<ReportRow> = by_priority.groups.iter().map(|g| g.row.clone()).collect();
    assert_eq!(
        rows,
        vec![
            row(Some("urgent"), 1, 0, both(7200, 7200), NONE, 2),
            row(Some("high"), 2, 2, both(60, 600), both(1200, 3600), 0),
            row(Some("medium"), 1, 1, NONE, both(86400, 86400), 1),
            row(Some("low"), 1, 1, both(1800, 1800), both(86400, 86400), 0),
        ]
    );

    let by_agent = report(GroupBy::Agent).await;
    let labels: Vec<&str> = by_agent.groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["Sam Support", "Ada Admin", "Unassigned"]);
    let rows: Vec<ReportRow> = by_agent.groups.iter().map(|g| g.row.clone()).collect();
    assert_eq!(
        rows,
        vec![
            row(Some("201"), 3, 2, both(600, 7200), both(1200, 3600), 2),
            row(Some("202"), 1, 2, both(1800, 1800), both(86400, 86400), 0),
            row(None, 1, 0, NONE, NONE, 1),
        ]
    );
    // Every grouping adds up to the same totals.
    for r in [&by_category, &by_priority, &by_agent] {
        assert_eq!(r.total, by_day.total);
    }
}
