//! A property test: random operation sequences run against a store (through the service) and
//! against a plain model written from the helpdesk's rules; after every step, what each role can
//! see and the stats must agree.
//!
//! ```ignore
//! #[test]
//! fn my_store_matches_the_model() {
//!     support_core::testing::model::check(|| async { MyStore::fresh().await.unwrap() }, 64);
//! }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::Fixture;
use crate::store::{SupportStore, TicketFilter};
use crate::*;

/// One step of a scenario. Users and tickets are indexes: users into the fixture's cast
/// (0 Alice, 1 Bob — employees; 2 Sam, 3 Ada, 4 Hana — staff), tickets into those created so
/// far (modulo their number).
#[derive(Debug, Clone)]
pub enum Op {
    /// Open a ticket; with a key, the request's content is fixed by the key, so a repeat is a retry.
    Create {
        user: usize,
        priority: Priority,
        key: Option<u8>,
    },
    /// Open a ticket by its first message.
    QuickChat { user: usize, key: Option<u8> },
    /// Post a message or note.
    Post {
        user: usize,
        ticket: usize,
        internal: bool,
        key: Option<u8>,
    },
    /// Change status and/or priority.
    Update {
        user: usize,
        ticket: usize,
        status: Option<Status>,
        priority: Option<Priority>,
    },
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(Priority::ALL)
}

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL)
}

fn key() -> impl Strategy<Value = Option<u8>> {
    prop::option::weighted(0.3, 0u8..3)
}

/// Random scenarios of up to `len` steps.
pub fn scenarios(len: usize) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        2 => (0..5usize, priority(), key()).prop_map(|(user, priority, key)| Op::Create { user, priority, key }),
        1 => (0..5usize, key()).prop_map(|(user, key)| Op::QuickChat { user, key }),
        4 => (0..5usize, any::<usize>(), any::<bool>(), key())
            .prop_map(|(user, ticket, internal, key)| Op::Post { user, ticket, internal, key }),
        2 => (0..5usize, any::<usize>(), prop::option::of(status()), prop::option::of(priority()))
            .prop_map(|(user, ticket, status, priority)| Op::Update { user, ticket, status, priority }),
    ];
    prop::collection::vec(op, 1..len)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Remembered {
    Ticket {
        index: usize,
        quick: bool,
    },
    Message {
        ticket: usize,
        id: MessageId,
        internal: bool,
    },
}

#[derive(Default)]
struct Model {
    tickets: Vec<(TicketId, UserId, Status, Priority)>,
    /// Per ticket: what an employee-side listener on its channel received, and how many model
    /// messages existed when it started listening.
    streams: Vec<(Vec<MessageId>, usize)>,
    messages: Vec<(usize, MessageId, bool)>,
    keys: HashMap<(UserId, u8), Remembered>,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    NotFound,
    Forbidden,
    Conflict,
}

fn outcome<T>(r: &Result<T>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(Error::NotFound) => Outcome::NotFound,
        Err(Error::Forbidden(_)) => Outcome::Forbidden,
        Err(Error::Conflict(_)) => Outcome::Conflict,
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

fn ctx(key: Option<u8>) -> WriteContext {
    WriteContext {
        idempotency_key: key.map(|k| format!("key-{k}").parse().unwrap()),
        socket_id: None,
    }
}

/// Runs one scenario against a fresh store, panicking at the first disagreement.
pub async fn run_scenario(store: Arc<dyn SupportStore>, ops: &[Op]) {
    let f = Fixture::new(store);
    let cast = [
        f.alice.clone(),
        f.bob.clone(),
        f.sam.clone(),
        f.ada.clone(),
        f.hana.clone(),
    ];
    let mut m = Model::default();
    let mut listeners: Vec<Subscription> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Create {
                user,
                priority,
                key,
            } => {
                let who = &cast[user];
                let subject = key.map_or_else(|| format!("step {step}"), |k| format!("k{k}"));
                let input = NewTicket::parse(
                    &subject,
                    &format!("{subject}: details"),
                    "it",
                    priority.as_str(),
                )
                .unwrap();
                let r = f.service.create_ticket(who, input, &ctx(key)).await;
                let remembered = key.and_then(|k| m.keys.get(&(who.id, k)).copied());
                match remembered {
                    None => {
                        let t = r.unwrap();
                        m.tickets.push((t.id, who.id, Status::Open, priority));
                        if let Some(k) = key {
                            m.keys.insert(
                                (who.id, k),
                                Remembered::Ticket {
                                    index: m.tickets.len() - 1,
                                    quick: false,
                                },
                            );
                        }
                    }
                    Some(Remembered::Ticket {
                        index,
                        quick: false,
                    }) => {
                        assert_eq!(
                            r.unwrap().id,
                            m.tickets[index].0,
                            "step {step}: retry answers the first ticket"
                        )
                    }
                    Some(_) => assert_eq!(outcome(&r), Outcome::Conflict, "step {step}"),
                }
            }
            Op::QuickChat { user, key } => {
                let who = &cast[user];
                let text = key.map_or_else(|| format!("step {step}"), |k| format!("k{k}"));
                let chat = QuickChat::from_json(&serde_json::json!({ "message": text })).unwrap();
                let r = f.service.quick_chat(who, chat, &ctx(key)).await;
                match key.and_then(|k| m.keys.get(&(who.id, k)).copied()) {
                    None => {
                        let (t, msg) = r.unwrap();
                        m.tickets
                            .push((t.id, who.id, Status::Open, Priority::Medium));
                        m.messages.push((m.tickets.len() - 1, msg.id, false));
                        if let Some(k) = key {
                            m.keys.insert(
                                (who.id, k),
                                Remembered::Ticket {
                                    index: m.tickets.len() - 1,
                                    quick: true,
                                },
                            );
                        }
                    }
                    Some(Remembered::Ticket { index, quick: true }) => {
                        assert_eq!(r.unwrap().0.id, m.tickets[index].0, "step {step}")
                    }
                    Some(_) => assert_eq!(outcome(&r), Outcome::Conflict, "step {step}"),
                }
            }
            Op::Post {
                user,
                ticket,
                internal,
                key,
            } => {
                if m.tickets.is_empty() {
                    continue;
                }
                let who = &cast[user];
                let index = ticket % m.tickets.len();
                let (id, owner, ..) = m.tickets[index];
                let text = key.map_or_else(|| format!("step {step}"), |k| format!("k{k}"));
                let body = MessageBody::parse(&text).unwrap();
                let msg = if internal {
                    NewMessage::internal(body)
                } else {
                    NewMessage::public(body)
                };
                let r = f.service.post_message(who, id, msg, &ctx(key)).await;
                let expected = if !who.is_staff() && owner != who.id {
                    Outcome::NotFound
                } else if internal && !who.is_staff() {
                    Outcome::Forbidden
                } else {
                    match key.and_then(|k| m.keys.get(&(who.id, k)).copied()) {
                        None => Outcome::Ok,
                        Some(Remembered::Message {
                            ticket,
                            internal: was,
                            ..
                        }) if ticket == index && was == internal => Outcome::Ok,
                        Some(_) => Outcome::Conflict,
                    }
                };
                assert_eq!(outcome(&r), expected, "step {step}: {op:?}");
                if let Ok(msg) = r {
                    match key.and_then(|k| m.keys.get(&(who.id, k)).copied()) {
                        Some(Remembered::Message { id, .. }) => {
                            assert_eq!(msg.id, id, "step {step}: retry")
                        }
                        _ => {
                            // The owner's public reply (written as the employee, whatever
                            // their role) reopens a resolved or closed ticket.
                            let entry = &mut m.tickets[index];
                            if owner == who.id && !internal && entry.2.is_reopened_by_reply() {
                                entry.2 = Status::Open;
                            }
                            m.messages.push((index, msg.id, internal));
                            if let Some(k) = key {
                                m.keys.insert(
                                    (who.id, k),
                                    Remembered::Message {
                                        ticket: index,
                                        id: msg.id,
                                        internal,
                                    },
                                );
                            }
                        }
                    }
                }
            }
            Op::Update {
                user,
                ticket,
                status,
                priority,
            } => {
                if m.tickets.is_empty() {
                    continue;
                }
                let who = &cast[user];
                let index = ticket % m.tickets.len();
                let patch = TicketPatch {
                    status,
                    priority,
                    assigned_to: None,
                };
                let r = f
                    .service
                    .update_ticket(who, m.tickets[index].0, patch, &WriteContext::default())
                    .await;
                if who.is_staff() {
                    let t = r.unwrap();
                    let entry = &mut m.tickets[index];
                    entry.2 = status.unwrap_or(entry.2);
                    entry.3 = priority.unwrap_or(entry.3);
                    assert_eq!((t.status, t.priority), (entry.2, entry.3), "step {step}");
                } else {
                    assert_eq!(outcome(&r), Outcome::Forbidden, "step {step}");
                }
            }
        }
        while listeners.len() < m.tickets.len() {
            listeners.push(
                f.hub
                    .subscribe(Channel::Ticket(m.tickets[listeners.len()].0), None),
            );
            m.streams.push((Vec::new(), m.messages.len()));
        }
        for (listener, (received, _)) in listeners.iter_mut().zip(&mut m.streams) {
            for event in Fixture::drain(listener) {
                if let Some(msg) = event.message() {
                    assert!(
                        !msg.is_internal,
                        "step {step}: an internal note reached a ticket channel"
                    );
                    received.push(msg.id);
                }
            }
        }
        compare(&f, &cast, &m, step).await;
    }
}

async fn compare(f: &Fixture, cast: &[Actor], m: &Model, step: usize) {
    for (index, (received, since)) in m.streams.iter().enumerate() {
        let should: Vec<MessageId> = m.messages[*since..]
            .iter()
            .filter(|(t, _, internal)| *t == index && !internal)
            .map(|(_, id, _)| *id)
            .collect();
        assert_eq!(
            received, &should,
            "step {step}: the employee-side stream of ticket {index}"
        );
    }

    let mut expected = Stats::default();
    for (_, _, status, priority) in &m.tickets {
        expected.add(*status, *priority);
    }
    assert_eq!(
        f.service.stats(&f.sam).await.unwrap(),
        expected,
        "step {step}: stats"
    );

    for who in cast {
        let mut visible: Vec<TicketId> = if who.is_staff() {
            f.list_all(TicketFilter::default())
                .await
                .iter()
                .map(|t| t.id)
                .collect()
        } else {
            let page = PageRequest {
                cursor: None,
                limit: Some(100),
            };
            f.service
                .my_tickets(who, false, &page)
                .await
                .unwrap()
                .data
                .iter()
                .map(|t| t.id)
                .collect()
        };
        visible.sort();
        let mut should: Vec<TicketId> = m
            .tickets
            .iter()
            .filter(|t| who.is_staff() || t.1 == who.id)
            .map(|t| t.0)
            .collect();
        should.sort();
        assert_eq!(
            visible, should,
            "step {step}: tickets visible to {}",
            who.name
        );

        for (index, (id, owner, ..)) in m.tickets.iter().enumerate() {
            let got = f
                .service
                .messages(who, *id, MessagePosition::After(MessageId(0)), Some(200))
                .await;
            if !who.is_staff() && *owner != who.id {
                assert!(
                    matches!(got, Err(Error::NotFound)),
                    "step {step}: {} reads a foreign ticket",
                    who.name
                );
                continue;
            }
            let got: Vec<(MessageId, bool)> =
                got.unwrap().iter().map(|m| (m.id, m.is_internal)).collect();
            let should: Vec<(MessageId, bool)> = m
                .messages
                .iter()
                .filter(|(t, _, internal)| *t == index && (who.is_staff() || !internal))
                .map(|(_, id, internal)| (*id, *internal))
                .collect();
            assert_eq!(
                got, should,
                "step {step}: messages of ticket {index} seen by {}",
                who.name
            );
        }
    }
}

/// Runs `cases` random scenarios, each on a fresh store from `make`, and shrinks a failure to a
/// minimal scenario.
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
    let result = runner.run(&scenarios(30), |ops| {
        super::run(async {
            let store: Arc<dyn SupportStore> = Arc::new(make().await);
            run_scenario(store, &ops).await;
        });
        Ok(())
    });
    if let Err(e) = result {
        panic!("the store disagrees with the model: {e}");
    }
}
