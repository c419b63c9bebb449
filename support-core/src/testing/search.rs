//! A property test of search visibility: random tickets of several employees with random
//! public messages and internal notes, random queries; an employee's hits are always their own
//! tickets and never an internal note, and each side's hits are exactly the documents the
//! reference semantics ([`crate::search`]) finds in what that side may see.
//!
//! ```ignore
//! #[test]
//! fn my_store_searches_within_scope() {
//!     support_core::testing::search::check(|| async { MyStore::fresh().await.unwrap() }, 32);
//! }
//! ```

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::Fixture;
use crate::search::{self, SearchTerms};
use crate::store::SupportStore;
use crate::*;

/// The words texts and queries are made of: a few share prefixes, so a prefix query finds
/// several of them.
const WORDS: &[&str] = &[
    "printer",
    "printers",
    "print",
    "vpn",
    "laptop",
    "password",
    "badge",
    "payroll",
    "screen",
    "secret",
    "Ünïcödé",
    "東京",
];

/// A document as the test wrote it: ticket, message, owner, internal, fields with weights.
type Doc = (
    TicketId,
    Option<MessageId>,
    UserId,
    bool,
    Vec<(String, f64)>,
);

/// A ticket: its owner (0 Alice, 1 Bob), subject and description words, and its messages:
/// (internal, by staff, words).
type TicketSpec = (usize, Vec<usize>, Vec<usize>, Vec<(bool, bool, Vec<usize>)>);

fn text(words: &[usize]) -> String {
    words
        .iter()
        .map(|i| WORDS[*i])
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..WORDS.len(), 1..max)
}

fn ticket() -> impl Strategy<Value = TicketSpec> {
    (
        0..2_usize,
        words(4),
        words(6),
        prop::collection::vec((any::<bool>(), any::<bool>(), words(6)), 0..4),
    )
}

/// A query: one or two words, the last maybe cut short (a prefix), maybe with punctuation.
fn query() -> impl Strategy<Value = String> {
    (
        words(3),
        0..4_usize,
        prop::sample::select(vec![" ", " AND ", "\" ", " -", " NEAR("]),
    )
        .prop_map(|(w, cut, sep)| {
            let mut parts: Vec<String> = w.iter().map(|i| WORDS[*i].to_owned()).collect();
            if let Some(last) = parts.last_mut() {
                let keep = last.chars().count().saturating_sub(cut).max(1);
                *last = last.chars().take(keep).collect();
            }
            parts.join(sep)
        })
}

/// Every hit `who` gets for `q`, paging through with small pages.
async fn hits(f: &Fixture, who: &Actor, q: &str) -> Vec<SearchHit> {
    let mut out = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(3),
    };
    loop {
        let p = if who.is_staff() {
            f.service
                .search(who, q, &crate::search::SearchFilter::default(), &page)
                .await
        } else {
            f.service
                .search_mine(who, q, &crate::search::SearchFilter::default(), &page)
                .await
        }
        .unwrap_or_else(|e| panic!("search {q:?}: {e}"));
        out.extend(p.data);
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return out,
        }
    }
}

async fn scenario(store: Arc<dyn SupportStore>, tickets: &[TicketSpec], queries: &[String]) {
    let f = Fixture::new(store);
    let employees = [&f.alice, &f.bob];
    // Every document: (ticket, message, owner, internal, text fields).
    let mut docs: Vec<Doc> = Vec::new();
    for (owner, subject, description, messages) in tickets {
        let owner = employees[*owner];
        let input = NewTicket::parse(&text(subject), &text(description), "it", "low").unwrap();
        let t = f
            .service
            .create_ticket(owner, input, &WriteContext::default())
            .await
            .unwrap();
        docs.push((
            t.id,
            None,
            owner.id,
            false,
            vec![(t.subject.clone(), 3.0), (t.description.clone(), 1.0)],
        ));
        for (internal, by_staff, words) in messages {
            let body = text(words);
            let m = if *internal {
                f.note(&f.sam, t.id, &body).await
            } else if *by_staff {
                f.say(&f.ada, t.id, &body).await
            } else {
                f.say(owner, t.id, &body).await
            };
            docs.push((t.id, Some(m.id), owner.id, *internal, vec![(body, 1.0)]));
        }
    }
    for q in queries {
        let terms = SearchTerms::parse(q).unwrap();
        let expected = |who: Option<UserId>| -> BTreeSet<(TicketId, Option<MessageId>)> {
            docs.iter()
                .filter(|(_, _, owner, internal, _)| who.is_none_or(|e| e == *owner && !internal))
                .filter(|(_, _, _, _, fields)| {
                    let fields: Vec<(&str, f64)> =
                        fields.iter().map(|(t, w)| (t.as_str(), *w)).collect();
                    search::score(&terms, &fields).is_some()
                })
                .map(|(t, m, ..)| (*t, *m))
                .collect()
        };
        let notes: BTreeSet<MessageId> = docs.iter().filter(|d| d.3).filter_map(|d| d.1).collect();
        for e in employees {
            let found = hits(&f, e, q).await;
            for h in &found {
                assert_eq!(
                    h.ticket.employee_id, e.id,
                    "{q:?}: another employee's ticket"
                );
                assert!(
                    h.message_id.is_none_or(|m| !notes.contains(&m)),
                    "{q:?}: an internal note reached an employee"
                );
            }
            let set: BTreeSet<_> = found.iter().map(|h| (h.ticket.id, h.message_id)).collect();
            assert_eq!(set.len(), found.len(), "{q:?}: a hit came twice");
            assert_eq!(set, expected(Some(e.id)), "{q:?}: employee {}", e.id);
        }
        let found = hits(&f, &f.sam, q).await;
        let set: BTreeSet<_> = found.iter().map(|h| (h.ticket.id, h.message_id)).collect();
        assert_eq!(set.len(), found.len(), "{q:?}: a hit came twice");
        assert_eq!(set, expected(None), "{q:?}: staff");
    }
}

/// Runs `cases` random scenarios against fresh stores from `make`.
pub fn check<F, Fut, S>(make: F, cases: u32)
where
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
    S: SupportStore,
{
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (
        prop::collection::vec(ticket(), 1..8),
        prop::collection::vec(query(), 1..6),
    );
    let result = runner.run(&strategy, |(tickets, queries)| {
        super::run(async {
            let store: Arc<dyn SupportStore> = Arc::new(make().await);
            scenario(store, &tickets, &queries).await;
        });
        Ok(())
    });
    if let Err(e) = result {
        panic!("search went out of scope or missed a document: {e}");
    }
}
