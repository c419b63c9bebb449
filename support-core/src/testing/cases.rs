//! The contract cases, one `pub async fn` each, named for the behaviour they pin down.
//! [`crate::conformance_suite!`] runs them all against a store.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use super::Fixture;
use crate::store::{SupportStore, TicketFilter};
use crate::*;

type Store = Arc<dyn SupportStore>;

fn ctx_key(key: &str) -> WriteContext {
    WriteContext {
        idempotency_key: Some(key.parse().unwrap()),
        socket_id: None,
    }
}

fn ctx_socket(socket: &str) -> WriteContext {
    WriteContext {
        idempotency_key: None,
        socket_id: Some(socket.parse().unwrap()),
    }
}

fn status(s: Status) -> TicketPatch {
    TicketPatch {
        status: Some(s),
        ..TicketPatch::default()
    }
}

fn ids(tickets: &[Ticket]) -> Vec<TicketId> {
    tickets.iter().map(|t| t.id).collect()
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::NotFound))
}

pub async fn create_ticket_stores_fields_opens_and_numbers_it(store: Store) {
    let f = Fixture::new(store);
    let input =
        NewTicket::parse("  Login issue ", "Cannot access my account", "it", "high").unwrap();
    let t = f
        .service
        .create_ticket(&f.alice, input, &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(t.subject, "Login issue", "subject is stored trimmed");
    assert_eq!(t.description, "Cannot access my account");
    assert_eq!(
        (t.category, t.priority, t.status),
        (Category::It, Priority::High, Status::Open)
    );
    assert_eq!(t.employee_id, f.alice.id);
    assert_eq!(t.assigned_to, None);
    assert_eq!(t.resolved_at, None);
    assert_eq!(t.created_at, t.updated_at);
    assert_eq!(t.ticket_number, TicketNumber::for_id(t.id));
    let read = f.store.ticket(t.id).await.unwrap().expect("stored");
    assert_eq!(read, t, "what create returns is what is stored");
}

pub async fn ticket_numbers_are_unique_under_concurrent_creation(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let mut tasks = Vec::new();
    for i in 0..64 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let owner = if i % 2 == 0 { &f.alice } else { &f.bob };
            f.ticket(owner, &format!("concurrent {i}"), Priority::Low)
                .await
        }));
    }
    let mut numbers = HashSet::new();
    let mut seen = HashSet::new();
    for t in tasks {
        let t = t.await.unwrap();
        assert_eq!(t.ticket_number, TicketNumber::for_id(t.id));
        assert!(
            numbers.insert(t.ticket_number.clone()),
            "duplicate number {}",
            t.ticket_number
        );
        assert!(seen.insert(t.id));
    }
    assert_eq!(f.list_all(TicketFilter::default()).await.len(), 64);
}

pub async fn create_ticket_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let input = Fixture::ticket_input("Printer jam", Priority::Medium);
    let first = f
        .service
        .create_ticket(&f.alice, input.clone(), &ctx_key("k-1"))
        .await
        .unwrap();
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let again = f
        .service
        .create_ticket(&f.alice, input, &ctx_key("k-1"))
        .await
        .unwrap();
    assert_eq!(first, again, "a retry answers the first result");
    assert_eq!(
        f.list_all(TicketFilter::default()).await.len(),
        1,
        "stored once"
    );
    assert_eq!(f.store.audit_trail(first.id).await.unwrap().len(), 1);
    assert_eq!(f.store.stats().await.unwrap().open, 1);
    assert!(
        Fixture::drain(&mut admin).is_empty(),
        "a retry broadcasts nothing"
    );
}

pub async fn idempotency_key_reused_for_a_different_request_conflicts(store: Store) {
    let f = Fixture::new(store);
    let t = f
        .service
        .create_ticket(
            &f.alice,
            Fixture::ticket_input("A", Priority::Low),
            &ctx_key("same"),
        )
        .await
        .unwrap();
    let other = f
        .service
        .create_ticket(
            &f.alice,
            Fixture::ticket_input("B", Priority::Low),
            &ctx_key("same"),
        )
        .await;
    assert!(matches!(other, Err(Error::Conflict(_))), "{other:?}");

    let body = |s: &str| NewMessage::public(MessageBody::parse(s).unwrap());
    f.service
        .post_message(&f.alice, t.id, body("one"), &ctx_key("m"))
        .await
        .unwrap();
    let changed = f
        .service
        .post_message(&f.alice, t.id, body("two"), &ctx_key("m"))
        .await;
    assert!(matches!(changed, Err(Error::Conflict(_))), "{changed:?}");
    let ticket_key_on_message = f
        .service
        .post_message(&f.alice, t.id, body("three"), &ctx_key("same"))
        .await;
    assert!(
        matches!(ticket_key_on_message, Err(Error::Conflict(_))),
        "{ticket_key_on_message:?}"
    );
    assert_eq!(
        f.all_messages(&f.sam, t.id).await.len(),
        1,
        "conflicting retries store nothing"
    );
    assert_eq!(f.list_all(TicketFilter::default()).await.len(), 1);
}

pub async fn idempotency_keys_are_scoped_per_user(store: Store) {
    let f = Fixture::new(store);
    let input = Fixture::ticket_input("Same words", Priority::Low);
    let a = f
        .service
        .create_ticket(&f.alice, input.clone(), &ctx_key("shared"))
        .await
        .unwrap();
    let b = f
        .service
        .create_ticket(&f.bob, input, &ctx_key("shared"))
        .await
        .unwrap();
    assert_ne!(a.id, b.id, "another user's key is not a retry");
    assert_eq!(b.employee_id, f.bob.id);
}

pub async fn concurrent_retries_with_one_key_store_once(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "retries", Priority::Low).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let body = NewMessage::public(MessageBody::parse("only once").unwrap());
            f.service
                .post_message(&f.alice, t.id, body, &ctx_key("burst"))
                .await
        }));
    }
    let mut answered = BTreeSet::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(m) => {
                answered.insert(m.id);
            }
            // A store may refuse a racing duplicate as a conflict; it must never store it twice.
            Err(Error::Conflict(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(
        answered.len(),
        1,
        "every successful retry answers the same message"
    );
    assert_eq!(f.all_messages(&f.sam, t.id).await.len(), 1);
}

pub async fn quick_chat_creates_ticket_with_its_first_message(store: Store) {
    let f = Fixture::new(store);
    let chat = QuickChat::from_json(
        &serde_json::json!({"message": "My laptop will not boot", "priority": "urgent"}),
    )
    .unwrap();
    let (t, m) = f
        .service
        .quick_chat(&f.alice, chat, &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(t.subject, "My laptop will not boot");
    assert_eq!(
        (t.priority, t.category, t.status),
        (Priority::Urgent, Category::Other, Status::Open)
    );
    assert_eq!(m.ticket_id, t.id);
    assert_eq!(
        (m.author_id, m.author_type, m.is_internal),
        (f.alice.id, AuthorType::Employee, false)
    );
    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert_eq!(view.messages, vec![m]);
    assert_eq!(f.store.stats().await.unwrap().urgent, 1);
}

pub async fn quick_chat_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let chat = QuickChat::from_json(&serde_json::json!({"message": "help"})).unwrap();
    let first = f
        .service
        .quick_chat(&f.alice, chat.clone(), &ctx_key("qc"))
        .await
        .unwrap();
    let again = f
        .service
        .quick_chat(&f.alice, chat, &ctx_key("qc"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(f.list_all(TicketFilter::default()).await.len(), 1);
    assert_eq!(f.all_messages(&f.alice, first.0.id).await.len(), 1);
}

pub async fn append_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "dup", Priority::Low).await;
    let body = NewMessage::public(MessageBody::parse("Are you there?").unwrap());
    let first = f
        .service
        .post_message(&f.alice, t.id, body.clone(), &ctx_key("m-1"))
        .await
        .unwrap();
    let mut channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let again = f
        .service
        .post_message(&f.alice, t.id, body, &ctx_key("m-1"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(f.all_messages(&f.sam, t.id).await, vec![first]);
    assert!(
        Fixture::drain(&mut channel).is_empty(),
        "a retry is not broadcast again"
    );
}

pub async fn message_ids_grow_in_posting_order(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "order", Priority::Low).await;
    let u = f.ticket(&f.bob, "other", Priority::Low).await;
    let mut posted = Vec::new();
    for i in 0..20 {
        posted.push(f.say(&f.alice, t.id, &format!("m{i}")).await.id);
        f.say(&f.bob, u.id, "interleaved").await;
    }
    assert!(posted.windows(2).all(|w| w[0] < w[1]), "{posted:?}");
    let read: Vec<_> = f
        .all_messages(&f.alice, t.id)
        .await
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(read, posted);
}

pub async fn messages_after_returns_strictly_newer_in_order(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "after", Priority::Low).await;
    let mut all = Vec::new();
    for i in 0..10 {
        all.push(
            f.say(
                if i % 2 == 0 { &f.alice } else { &f.sam },
                t.id,
                &format!("m{i}"),
            )
            .await,
        );
    }
    let page = f
        .service
        .messages(&f.alice, t.id, MessagePosition::After(all[3].id), Some(4))
        .await
        .unwrap();
    assert_eq!(page, all[4..8].to_vec());
    let rest = f
        .service
        .messages(&f.alice, t.id, MessagePosition::After(all[9].id), None)
        .await
        .unwrap();
    assert!(rest.is_empty());
    let from_zero = f
        .service
        .messages(&f.alice, t.id, MessagePosition::After(MessageId(0)), None)
        .await
        .unwrap();
    assert_eq!(from_zero, all);
}

pub async fn messages_before_returns_older_history_in_order(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "before", Priority::Low).await;
    let mut all = Vec::new();
    for i in 0..10 {
        all.push(f.say(&f.alice, t.id, &format!("m{i}")).await);
    }
    let page = f
        .service
        .messages(&f.alice, t.id, MessagePosition::Before(all[7].id), Some(3))
        .await
        .unwrap();
    assert_eq!(
        page,
        all[4..7].to_vec(),
        "the 3 messages just before, oldest first"
    );
    let start = f
        .service
        .messages(&f.alice, t.id, MessagePosition::Before(all[2].id), Some(50))
        .await
        .unwrap();
    assert_eq!(start, all[..2].to_vec());
    let latest = f
        .service
        .messages(&f.alice, t.id, MessagePosition::Latest, Some(2))
        .await
        .unwrap();
    assert_eq!(latest, all[8..].to_vec());
}

pub async fn ticket_view_holds_the_newest_page_and_says_if_older_exist(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "long thread", Priority::Low).await;
    let page = SupportService::MESSAGE_PAGE.0 as usize;
    let mut all = Vec::new();
    for i in 0..page {
        all.push(f.say(&f.alice, t.id, &format!("m{i}")).await);
    }
    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert!(!view.has_older);
    assert_eq!(view.messages, all);
    all.push(f.say(&f.sam, t.id, "one more").await);
    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert!(view.has_older);
    assert_eq!(view.messages, all[1..].to_vec());
}

pub async fn poller_sees_every_message_exactly_once_while_8_writers_append(store: Store) {
    const WRITERS: usize = 8;
    const EACH: usize = 40;
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "busy", Priority::High).await;
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (f, done) = (f.clone(), done.clone());
        writers.push(tokio::spawn(async move {
            let who = if w % 2 == 0 {
                f.alice.clone()
            } else {
                f.sam.clone()
            };
            for i in 0..EACH {
                f.say(&who, t.id, &format!("w{w}-{i}")).await;
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
    }
    let poller = {
        let (f, done) = (f.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen: Vec<Message> = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS;
                let after = seen.last().map_or(MessageId(0), |m| m.id);
                let page = f
                    .service
                    .messages(&f.alice, t.id, MessagePosition::After(after), Some(7))
                    .await
                    .unwrap();
                let empty = page.is_empty();
                seen.extend(page);
                if finished && empty {
                    return seen;
                }
                if empty {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let seen = poller.await.unwrap();
    assert_eq!(
        seen.len(),
        WRITERS * EACH,
        "the poller missed or repeated messages"
    );
    let unique: HashSet<_> = seen.iter().map(|m| m.id).collect();
    assert_eq!(unique.len(), seen.len(), "a message was seen twice");
    assert!(
        seen.windows(2).all(|w| w[0].id < w[1].id),
        "ids went backwards"
    );
    for w in 0..WRITERS {
        let own: Vec<_> = seen
            .iter()
            .filter(|m| m.content.starts_with(&format!("w{w}-")))
            .collect();
        let expected: Vec<_> = (0..EACH).map(|i| format!("w{w}-{i}")).collect();
        assert_eq!(
            own.iter().map(|m| m.content.clone()).collect::<Vec<_>>(),
            expected,
            "writer {w}'s order"
        );
    }
}

pub async fn multibyte_content_of_2000_characters_round_trips_unchanged(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "Ünïcödé 😀", Priority::Low).await;
    let texts = [
        "😀".repeat(2000),
        "漢".repeat(2000),
        "e\u{301}".repeat(1000),
        format!("{}\u{1F469}\u{200D}\u{1F4BB}", "a".repeat(1997)),
        "quote ' \" backslash \\ percent % underscore _ nul-free <script>alert(1)</script>"
            .to_owned(),
    ];
    for text in &texts {
        let m = f.say(&f.alice, t.id, text).await;
        assert_eq!(&m.content, text);
    }
    let read: Vec<_> = f
        .all_messages(&f.sam, t.id)
        .await
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(read, texts.to_vec());
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().subject,
        "Ünïcödé 😀"
    );
}

pub async fn attachments_round_trip(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "screenshot", Priority::Low).await;
    let body = serde_json::json!({"content": "see attached", "attachments": [
        {"name": "error 😀.png", "url": "https://files.example/1", "content_type": "image/png", "size": 12345}
    ]});
    let m = f
        .service
        .post_message(
            &f.alice,
            t.id,
            NewMessage::from_json(&body, "content").unwrap(),
            &WriteContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(m.attachments.len(), 1);
    let read = f.all_messages(&f.sam, t.id).await;
    assert_eq!(read[0].attachments, m.attachments);
    assert_eq!(read[0].attachments[0].name, "error 😀.png");
}

pub async fn internal_notes_are_absent_from_every_employee_read(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "notes", Priority::Medium).await;
    let mut employee_channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let first = f.say(&f.alice, t.id, "hello").await;
    let note = f.note(&f.sam, t.id, "SECRET internal note").await;
    let last = f.say(&f.sam, t.id, "we are on it").await;

    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert_eq!(view.messages, vec![first.clone(), last.clone()]);
    for position in [
        MessagePosition::Latest,
        MessagePosition::After(MessageId(0)),
        MessagePosition::After(first.id),
        MessagePosition::Before(last.id),
        MessagePosition::Before(MessageId(i64::MAX)),
    ] {
        let page = f
            .service
            .messages(&f.alice, t.id, position, Some(200))
            .await
            .unwrap();
        assert!(
            page.iter().all(|m| !m.is_internal && m.id != note.id),
            "{position:?} leaked a note"
        );
    }
    // A page that would have started on the note still holds only public messages.
    let page = f
        .service
        .messages(&f.alice, t.id, MessagePosition::After(first.id), Some(1))
        .await
        .unwrap();
    assert_eq!(page, vec![last]);
    for event in Fixture::drain(&mut employee_channel) {
        assert!(
            !event.payload().to_string().contains("SECRET"),
            "note sent on the ticket channel"
        );
        assert!(event.message().is_none_or(|m| !m.is_internal));
    }
}

pub async fn staff_see_internal_notes_marked_internal(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "notes", Priority::Medium).await;
    f.say(&f.alice, t.id, "hello").await;
    let note = f.note(&f.ada, t.id, "check the VPN logs").await;
    assert!(note.is_internal);
    assert_eq!(note.author_type, AuthorType::Support);
    for staff in f.staff() {
        let view = f.service.show_ticket(staff, t.id).await.unwrap();
        assert_eq!(view.messages.len(), 2);
        assert!(
            view.messages
                .iter()
                .any(|m| m.id == note.id && m.is_internal)
        );
    }
}

pub async fn employee_cannot_write_internal_notes(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let note = NewMessage::internal(MessageBody::parse("let me in").unwrap());
    let r = f
        .service
        .post_message(&f.alice, t.id, note, &WriteContext::default())
        .await;
    assert!(matches!(r, Err(Error::Forbidden(_))), "{r:?}");
    assert!(f.all_messages(&f.sam, t.id).await.is_empty());
}

pub async fn employee_lists_only_own_tickets(store: Store) {
    let f = Fixture::new(store);
    let a1 = f.ticket(&f.alice, "a1", Priority::Low).await;
    let b1 = f.ticket(&f.bob, "b1", Priority::Urgent).await;
    let a2 = f.ticket(&f.alice, "a2", Priority::High).await;
    let mine = f
        .service
        .my_tickets(&f.alice, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&mine.data), vec![a2.id, a1.id]);
    let bobs = f
        .service
        .my_tickets(&f.bob, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&bobs.data), vec![b1.id]);
    let all = f.list_all(TicketFilter::default()).await;
    assert_eq!(all.len(), 3, "staff see every ticket");
}

pub async fn another_employees_ticket_is_not_found_by_any_route(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "private", Priority::Low).await;
    f.say(&f.alice, t.id, "my secret").await;
    assert!(is_not_found(f.service.show_ticket(&f.bob, t.id).await));
    assert!(is_not_found(
        f.service
            .messages(&f.bob, t.id, MessagePosition::Latest, None)
            .await
    ));
    let body = NewMessage::public(MessageBody::parse("intrude").unwrap());
    assert!(is_not_found(
        f.service
            .post_message(&f.bob, t.id, body, &WriteContext::default())
            .await
    ));
    let missing = TicketId(t.id.0 + 1000);
    assert!(
        is_not_found(f.service.show_ticket(&f.bob, missing).await),
        "missing and foreign look the same"
    );
    assert!(
        f.service
            .authorize_channel(&f.bob, &Channel::Ticket(t.id))
            .await
            .is_err()
    );
    assert_eq!(
        f.all_messages(&f.alice, t.id).await.len(),
        1,
        "nothing was written"
    );
}

/// The service remembers ticket owners so that posting need not read the ticket. A second
/// service over the same store (another node) starts knowing no owner, learns one from a staff
/// post, and must then decide exactly as if it had read the ticket.
pub async fn remembered_owners_decide_as_the_ticket_would(store: Store) {
    let f = Fixture::new(store);
    let node = SupportService::from_parts(
        f.store.clone(),
        Arc::new(f.hub.clone()),
        f.service.directory().clone(),
    );
    let t = f.ticket(&f.alice, "cached", Priority::Low).await;
    let body = |s: &str| NewMessage::public(MessageBody::parse(s).unwrap());
    let plain = WriteContext::default();

    let staff = node
        .post_message(&f.sam, t.id, body("staff first"), &plain)
        .await
        .unwrap();
    assert_eq!(staff.author_type, AuthorType::Support);
    assert!(
        is_not_found(
            node.post_message(&f.bob, t.id, body("intrude"), &plain)
                .await
        ),
        "another employee, owner remembered"
    );
    assert!(is_not_found(
        node.post_message(&f.bob, t.id, body("intrude"), &ctx_key("bob-1"))
            .await
    ));
    assert!(is_not_found(
        node.messages(&f.bob, t.id, MessagePosition::Latest, None)
            .await
    ));
    assert!(
        node.authorize_channel(&f.bob, &Channel::Ticket(t.id))
            .await
            .is_err()
    );
    let note = NewMessage::internal(MessageBody::parse("let me in").unwrap());
    assert!(matches!(
        node.post_message(&f.alice, t.id, note, &plain).await,
        Err(Error::Forbidden(_))
    ));
    let own = node
        .post_message(&f.alice, t.id, body("owner"), &plain)
        .await
        .unwrap();
    assert_eq!(own.author_type, AuthorType::Employee);
    assert_eq!(
        f.all_messages(&f.sam, t.id).await,
        vec![staff, own],
        "nothing else was written"
    );

    // A missing ticket is not remembered as missing: once it exists, it is found.
    let next = TicketId(t.id.0 + 1);
    assert!(is_not_found(
        node.post_message(&f.sam, next, body("early"), &plain).await
    ));
    assert!(is_not_found(
        node.post_message(&f.sam, next, body("early"), &ctx_key("early"))
            .await
    ));
    let later = f.ticket(&f.bob, "later", Priority::Low).await;
    if later.id == next {
        let m = node
            .post_message(&f.bob, next, body("now it exists"), &plain)
            .await
            .unwrap();
        assert_eq!(m.author_type, AuthorType::Employee);
    }
}

pub async fn staff_operations_are_forbidden_to_employees(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let forbidden = |r: Result<()>| matches!(r, Err(Error::Forbidden(_)));
    let s = &f.service;
    let p = PageRequest::default();
    assert!(forbidden(s.dashboard(&f.alice, &p).await.map(drop)));
    assert!(forbidden(
        s.list_tickets(&f.alice, TicketFilter::default(), &p)
            .await
            .map(drop)
    ));
    assert!(forbidden(s.stats(&f.alice).await.map(drop)));
    assert!(forbidden(s.audit_trail(&f.alice, t.id).await.map(drop)));
    assert!(forbidden(
        s.update_ticket(
            &f.alice,
            t.id,
            status(Status::Resolved),
            &WriteContext::default()
        )
        .await
        .map(drop)
    ));
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().status,
        Status::Open,
        "own ticket unchanged"
    );
    for staff in f.staff() {
        assert!(s.dashboard(staff, &p).await.is_ok());
        assert!(s.stats(staff).await.is_ok());
    }
}

pub async fn dashboard_puts_urgent_first_then_longest_waiting(store: Store) {
    let f = Fixture::new(store);
    let low = f.ticket(&f.alice, "low", Priority::Low).await;
    let high_old = f.ticket(&f.bob, "high old", Priority::High).await;
    let urgent_old = f.ticket(&f.alice, "urgent old", Priority::Urgent).await;
    let medium = f.ticket(&f.bob, "medium", Priority::Medium).await;
    let high_new = f.ticket(&f.alice, "high new", Priority::High).await;
    let urgent_new = f.ticket(&f.bob, "urgent new", Priority::Urgent).await;
    // Activity on an old ticket does not make it "newer" in the queue.
    f.say(&f.alice, urgent_old.id, "still waiting").await;
    let d = f
        .service
        .dashboard(&f.sam, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&d.tickets.data),
        vec![
            urgent_old.id,
            urgent_new.id,
            high_old.id,
            high_new.id,
            medium.id,
            low.id
        ]
    );
    assert_eq!(
        d.stats,
        Stats {
            open: 6,
            in_progress: 0,
            urgent: 2
        }
    );
}

pub async fn dashboard_leaves_out_resolved_and_closed(store: Store) {
    let f = Fixture::new(store);
    let mut expected = Vec::new();
    for (i, s) in Status::ALL.iter().enumerate() {
        let t = f.ticket(&f.alice, &format!("t{i}"), Priority::Medium).await;
        f.patch(&f.sam, t.id, status(*s)).await;
        if s.is_active() {
            expected.push(t.id);
        }
    }
    let d = f
        .service
        .dashboard(&f.ada, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&d.tickets.data), expected);
}

pub async fn list_filters_by_status_priority_and_category(store: Store) {
    let f = Fixture::new(store);
    let mut made = Vec::new();
    for (i, (c, p, s)) in [
        ("it", Priority::High, Status::Open),
        ("hr", Priority::High, Status::Pending),
        ("payroll", Priority::Low, Status::Open),
        ("it", Priority::Low, Status::Closed),
        ("facilities", Priority::Urgent, Status::InProgress),
    ]
    .into_iter()
    .enumerate()
    {
        let input = NewTicket::parse(&format!("t{i}"), "d", c, p.as_str()).unwrap();
        let t = f
            .service
            .create_ticket(&f.alice, input, &WriteContext::default())
            .await
            .unwrap();
        made.push(f.patch(&f.sam, t.id, status(s)).await);
    }
    let expect = |pred: &dyn Fn(&Ticket) -> bool| -> Vec<TicketId> {
        made.iter()
            .rev()
            .filter(|t| pred(t))
            .map(|t| t.id)
            .collect()
    };
    let by = |filter: TicketFilter| f.list_all(filter);
    let r = by(TicketFilter {
        priority: Some(Priority::High),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.priority == Priority::High));
    let r = by(TicketFilter {
        category: Some(Category::It),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.category == Category::It));
    let r = by(TicketFilter {
        statuses: vec![Status::Open],
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.status == Status::Open));
    let r = by(TicketFilter {
        statuses: vec![Status::Open, Status::Closed],
        category: Some(Category::It),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.category == Category::It));
    let r = by(TicketFilter {
        employee_id: Some(f.bob.id),
        ..Default::default()
    })
    .await;
    assert!(r.is_empty());
}

pub async fn list_filters_by_assignee_and_unassigned(store: Store) {
    let f = Fixture::new(store);
    let a = f.ticket(&f.alice, "a", Priority::Low).await;
    let b = f.ticket(&f.alice, "b", Priority::Low).await;
    let c = f.ticket(&f.bob, "c", Priority::Low).await;
    let assign = |who: &Actor| TicketPatch {
        assigned_to: Some(Some(who.id)),
        ..TicketPatch::default()
    };
    f.patch(&f.ada, a.id, assign(&f.sam)).await;
    f.patch(&f.ada, c.id, assign(&f.hana)).await;
    let sams = f
        .list_all(TicketFilter {
            assigned_to: Some(Some(f.sam.id)),
            ..Default::default()
        })
        .await;
    assert_eq!(ids(&sams), vec![a.id]);
    let unassigned = f
        .list_all(TicketFilter {
            assigned_to: Some(None),
            ..Default::default()
        })
        .await;
    assert_eq!(ids(&unassigned), vec![b.id]);
}

pub async fn list_text_query_matches_subject_description_and_number(store: Store) {
    let f = Fixture::new(store);
    let vpn = f
        .ticket(&f.alice, "VPN keeps dropping", Priority::Low)
        .await;
    let input =
        NewTicket::parse("Payslip", "wrong tax code on my payslip", "payroll", "low").unwrap();
    let pay = f
        .service
        .create_ticket(&f.bob, input, &WriteContext::default())
        .await
        .unwrap();
    let pct = f.ticket(&f.bob, "100% broken_screen", Priority::Low).await;
    let q = |text: &str| TicketFilter {
        text: Some(text.to_owned()),
        ..Default::default()
    };
    assert_eq!(
        ids(&f.list_all(q("vpn")).await),
        vec![vpn.id],
        "case-insensitive subject match"
    );
    assert_eq!(
        ids(&f.list_all(q("TAX CODE")).await),
        vec![pay.id],
        "description match"
    );
    assert_eq!(
        ids(&f.list_all(q(pay.ticket_number.as_str())).await),
        vec![pay.id],
        "number match"
    );
    assert_eq!(ids(&f.list_all(q("100%")).await), vec![pct.id]);
    assert_eq!(ids(&f.list_all(q("broken_s")).await), vec![pct.id]);
    assert!(
        f.list_all(q("VPN%dropping")).await.is_empty(),
        "% is not a wildcard"
    );
    assert!(
        f.list_all(q("VPN_keeps")).await.is_empty(),
        "_ is not a wildcard"
    );
    assert!(
        f.list_all(q("VPN\\")).await.is_empty(),
        "backslash is literal too"
    );
    assert!(f.list_all(q("nothing like this")).await.is_empty());
}

pub async fn pagination_is_stable_while_tickets_are_inserted(store: Store) {
    let f = Fixture::new(store);
    let mut existing = Vec::new();
    for i in 0..23 {
        existing.push(f.ticket(&f.alice, &format!("t{i}"), Priority::Low).await.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(5),
    };
    let mut inserted = 0;
    loop {
        let p = f
            .service
            .list_tickets(&f.sam, TicketFilter::default(), &page)
            .await
            .unwrap();
        seen.extend(ids(&p.data));
        // New tickets arrive between page reads.
        f.ticket(&f.bob, &format!("new {inserted}"), Priority::Urgent)
            .await;
        inserted += 1;
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    existing.reverse();
    assert_eq!(
        seen, existing,
        "every ticket that existed once, in order, none of the new ones"
    );

    // The same holds for the employee's own list, ordered by activity.
    let mut seen = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(4),
    };
    loop {
        let p = f.service.my_tickets(&f.alice, &page).await.unwrap();
        seen.extend(ids(&p.data));
        f.ticket(&f.alice, "interloper", Priority::Low).await;
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no ticket twice");
    assert!(
        existing.iter().all(|id| seen.contains(id)),
        "no existing ticket skipped"
    );
}

pub async fn queue_pagination_visits_every_active_ticket_once(store: Store) {
    let f = Fixture::new(store);
    let mut active = HashSet::new();
    for i in 0..30 {
        let p = Priority::ALL[i % 4];
        let t = f
            .ticket(
                if i % 3 == 0 { &f.bob } else { &f.alice },
                &format!("q{i}"),
                p,
            )
            .await;
        if i % 7 == 0 {
            f.patch(&f.sam, t.id, status(Status::Closed)).await;
        } else {
            active.insert(t.id);
        }
    }
    let mut seen: Vec<Ticket> = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(4),
    };
    loop {
        let d = f.service.dashboard(&f.sam, &page).await.unwrap();
        seen.extend(d.tickets.data);
        match d.tickets.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), active.len());
    assert_eq!(seen.iter().map(|t| t.id).collect::<HashSet<_>>(), active);
    assert!(
        seen.windows(2)
            .all(|w| store::TicketOrder::Queue.compare(&w[0], &w[1]).is_lt())
    );
}

pub async fn own_list_orders_by_latest_activity(store: Store) {
    let f = Fixture::new(store);
    let first = f.ticket(&f.alice, "first", Priority::Low).await;
    let second = f.ticket(&f.alice, "second", Priority::Low).await;
    let third = f.ticket(&f.alice, "third", Priority::Low).await;
    tokio::time::sleep(Duration::from_millis(2)).await;
    f.say(&f.sam, first.id, "reply").await;
    let mine = f
        .service
        .my_tickets(&f.alice, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&mine.data), vec![first.id, third.id, second.id]);
    let touched = f.store.ticket(first.id).await.unwrap().unwrap();
    assert!(
        touched.updated_at > first.updated_at,
        "a message is activity"
    );
}

pub async fn resolving_sets_resolved_at_and_reopening_clears_it(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "fix me", Priority::Medium).await;
    let resolved = f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    let at = resolved.resolved_at.expect("resolved_at set");
    assert!(at >= t.created_at);
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().resolved_at,
        Some(at)
    );
    let closed = f.patch(&f.sam, t.id, status(Status::Closed)).await;
    assert_eq!(
        closed.resolved_at,
        Some(at),
        "closing keeps the resolution time"
    );
    let reopened = f.patch(&f.sam, t.id, status(Status::Open)).await;
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().resolved_at,
        None
    );
}

pub async fn assignment_only_to_existing_staff(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "assign", Priority::Low).await;
    let to = |id: Option<UserId>| TicketPatch {
        assigned_to: Some(id),
        ..TicketPatch::default()
    };
    for bad in [Some(f.bob.id), Some(f.alice.id), Some(UserId(9999))] {
        let r = f
            .service
            .update_ticket(&f.ada, t.id, to(bad), &WriteContext::default())
            .await;
        match r {
            Err(Error::Invalid(e)) => assert!(e.get("assigned_to").is_some(), "{e:?}"),
            other => panic!("assigning to {bad:?} gave {other:?}"),
        }
    }
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().assigned_to,
        None
    );
    for staff in f.staff() {
        let t2 = f.patch(&f.ada, t.id, to(Some(staff.id))).await;
        assert_eq!(t2.assigned_to, Some(staff.id));
    }
    assert_eq!(
        f.patch(&f.sam, t.id, to(None)).await.assigned_to,
        None,
        "null unassigns"
    );
}

pub async fn updates_record_audit_entries_with_before_and_after(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "audit", Priority::Low).await;
    f.patch(
        &f.sam,
        t.id,
        TicketPatch {
            status: Some(Status::InProgress),
            priority: Some(Priority::High),
            assigned_to: Some(Some(f.sam.id)),
        },
    )
    .await;
    f.patch(&f.ada, t.id, status(Status::Resolved)).await;
    let trail = f.service.audit_trail(&f.hana, t.id).await.unwrap();
    let changes: Vec<_> = trail
        .iter()
        .map(|e| (e.actor_id, e.change.clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                f.alice.id,
                Change::Created {
                    status: Status::Open,
                    priority: Priority::Low,
                    category: Category::It
                }
            ),
            (
                f.sam.id,
                Change::Status {
                    before: Status::Open,
                    after: Status::InProgress
                }
            ),
            (
                f.sam.id,
                Change::Priority {
                    before: Priority::Low,
                    after: Priority::High
                }
            ),
            (
                f.sam.id,
                Change::AssignedTo {
                    before: None,
                    after: Some(f.sam.id)
                }
            ),
            (
                f.ada.id,
                Change::Status {
                    before: Status::InProgress,
                    after: Status::Resolved
                }
            ),
        ]
    );
    assert_eq!(trail[1].actor_name, "Sam Support");
    assert!(
        trail
            .windows(2)
            .all(|w| w[0].id < w[1].id && w[0].at <= w[1].at)
    );
}

pub async fn an_update_that_changes_nothing_records_and_sends_nothing(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "same", Priority::Low).await;
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let same = TicketPatch {
        status: Some(Status::Open),
        priority: Some(Priority::Low),
        assigned_to: Some(None),
    };
    let after = f.patch(&f.sam, t.id, same).await;
    assert_eq!(after, t);
    assert_eq!(f.patch(&f.sam, t.id, TicketPatch::default()).await, t);
    assert_eq!(
        f.store.audit_trail(t.id).await.unwrap().len(),
        1,
        "only the creation"
    );
    assert!(Fixture::drain(&mut admin).is_empty());
}

pub async fn concurrent_updates_lose_no_change(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "contended", Priority::Low).await;
    let patches = [
        TicketPatch {
            status: Some(Status::InProgress),
            ..TicketPatch::default()
        },
        TicketPatch {
            priority: Some(Priority::Urgent),
            ..TicketPatch::default()
        },
        TicketPatch {
            assigned_to: Some(Some(f.hana.id)),
            ..TicketPatch::default()
        },
    ];
    let mut tasks = Vec::new();
    for p in patches {
        let f = f.clone();
        tasks.push(tokio::spawn(async move { f.patch(&f.sam, t.id, p).await }));
    }
    for i in 0..6 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            f.say(&f.alice, t.id, &format!("meanwhile {i}")).await;
            f.store.ticket(t.id).await.unwrap().unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let end = f.store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(
        (end.status, end.priority, end.assigned_to),
        (Status::InProgress, Priority::Urgent, Some(f.hana.id))
    );
    assert_eq!(f.store.audit_trail(t.id).await.unwrap().len(), 4);
    assert_eq!(
        f.store.stats().await.unwrap(),
        Stats {
            open: 0,
            in_progress: 1,
            urgent: 1
        }
    );
}

pub async fn writes_to_a_missing_ticket_are_not_found(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "exists", Priority::Low).await;
    let missing = TicketId(t.id.0 + 10_000);
    assert!(is_not_found(
        f.service
            .update_ticket(
                &f.sam,
                missing,
                status(Status::Closed),
                &WriteContext::default()
            )
            .await
    ));
    let body = NewMessage::public(MessageBody::parse("hello?").unwrap());
    assert!(is_not_found(
        f.service
            .post_message(&f.sam, missing, body.clone(), &WriteContext::default())
            .await
    ));
    assert!(is_not_found(
        f.service
            .post_message(&f.sam, missing, body.clone(), &ctx_key("to-nowhere"))
            .await
    ));
    // The store itself refuses too, without the service's check in front of it.
    let draft = store::MessageDraft {
        ticket_id: missing,
        author: store::Author {
            id: f.sam.id,
            name: f.sam.name.clone(),
        },
        author_type: AuthorType::Support,
        message: body,
        idempotency_key: None,
        at: time::now(),
    };
    assert!(is_not_found(f.store.append_message(&draft).await));
    let keyed = store::MessageDraft {
        idempotency_key: Some("to-nowhere".parse().unwrap()),
        ..draft
    };
    assert!(is_not_found(f.store.append_message(&keyed).await));
    let change = store::TicketChange {
        patch: status(Status::Closed),
        author: store::Author {
            id: f.sam.id,
            name: f.sam.name.clone(),
        },
        idempotency_key: None,
        at: time::now(),
    };
    assert!(
        f.store
            .update_ticket(missing, &change)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn reads_of_unknown_ids_are_empty(store: Store) {
    let f = Fixture::new(store);
    assert!(f.store.ticket(TicketId(42)).await.unwrap().is_none());
    assert!(f.store.ticket(TicketId(-1)).await.unwrap().is_none());
    let q = store::MessageQuery {
        ticket_id: TicketId(42),
        position: MessagePosition::Latest,
        limit: 10,
        include_internal: true,
    };
    assert!(f.store.messages(&q).await.unwrap().is_empty());
    assert!(f.store.audit_trail(TicketId(42)).await.unwrap().is_empty());
    assert_eq!(f.store.stats().await.unwrap(), Stats::default());
    f.store.ping().await.unwrap();
}

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

pub async fn events_follow_the_commit_and_carry_stored_ids(store: Store) {
    let f = Fixture::new(store);
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let t = f.ticket(&f.alice, "events", Priority::High).await;
    let mut channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let created = admin.recv().await.unwrap();
    assert_eq!(created.name(), "ticket.created");
    assert_eq!(created.payload()["ticket"]["id"], t.id.0);
    assert_eq!(
        created.payload()["ticket"]["ticket_number"],
        t.ticket_number.as_str()
    );
    assert_eq!(admin.recv().await.unwrap().name(), "stats.updated");

    let m = f.say(&f.alice, t.id, "hello support").await;
    let chat = channel.recv().await.unwrap();
    assert_eq!(chat.name(), "chat.message");
    let data = chat.payload();
    assert_eq!(data["id"], m.id.0);
    assert_eq!(data["ticket_id"], t.id.0);
    assert_eq!(data["sender_id"], f.alice.id.0);
    assert_eq!(data["sender_name"], "Alice Employee");
    assert_eq!(data["sender_type"], "employee");
    assert_eq!(data["message"], "hello support");
    assert_eq!(data["sent_at"], serde_json::to_value(m.created_at).unwrap());
    // When the event arrives, the message is already readable: catch-up can rely on it.
    let stored = f
        .service
        .messages(
            &f.sam,
            t.id,
            MessagePosition::After(MessageId(m.id.0 - 1)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(stored.first().map(|s| s.id), Some(m.id));
    let staff_copy = admin.recv().await.unwrap();
    assert_eq!(
        (staff_copy.name(), staff_copy.payload()["id"].clone()),
        ("message.created", m.id.0.into())
    );

    f.patch(
        &f.sam,
        t.id,
        TicketPatch {
            assigned_to: Some(Some(f.sam.id)),
            ..TicketPatch::default()
        },
    )
    .await;
    let updated = channel.recv().await.unwrap();
    assert_eq!(updated.name(), "ticket.updated");
    assert_eq!(updated.payload()["ticket"]["assigned_to"], f.sam.id.0);
    assert_eq!(admin.recv().await.unwrap().name(), "ticket.updated");
    assert!(
        Fixture::drain(&mut admin).is_empty(),
        "assignment does not move the stats"
    );
}

pub async fn chat_events_leave_out_the_sender_socket(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "to others", Priority::Low).await;
    let mut alice_tab = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("1.1".parse().unwrap()));
    let mut alice_other_tab = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("1.2".parse().unwrap()));
    let mut sam_tab = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("2.1".parse().unwrap()));
    let body = NewMessage::public(MessageBody::parse("typed in tab 1").unwrap());
    let m = f
        .service
        .post_message(&f.alice, t.id, body, &ctx_socket("1.1"))
        .await
        .unwrap();
    assert!(
        Fixture::drain(&mut alice_tab).is_empty(),
        "the sender's own socket gets nothing"
    );
    for sub in [&mut alice_other_tab, &mut sam_tab] {
        let got = Fixture::drain(sub);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload()["id"], m.id.0);
    }
}

pub async fn internal_notes_are_broadcast_only_to_staff(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "quiet", Priority::Low).await;
    let mut ticket_channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let note = f.note(&f.sam, t.id, "only for us").await;
    assert!(
        Fixture::drain(&mut ticket_channel).is_empty(),
        "no event on the employee's channel"
    );
    let staff = Fixture::drain(&mut admin);
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].name(), "message.created");
    assert_eq!(staff[0].payload()["id"], note.id.0);
    assert_eq!(staff[0].payload()["is_internal"], true);
}

pub async fn creation_and_status_changes_broadcast_stats(store: Store) {
    let f = Fixture::new(store);
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let stats_events = |sub: &mut Subscription| -> Vec<Stats> {
        Fixture::drain(sub)
            .iter()
            .filter(|b| b.name() == "stats.updated")
            .map(|b| serde_json::from_value(b.payload()["stats"].clone()).unwrap())
            .collect()
    };
    let t = f.ticket(&f.alice, "count me", Priority::Urgent).await;
    assert_eq!(
        stats_events(&mut admin),
        vec![Stats {
            open: 1,
            in_progress: 0,
            urgent: 1
        }]
    );
    f.patch(&f.sam, t.id, status(Status::InProgress)).await;
    assert_eq!(
        stats_events(&mut admin),
        vec![Stats {
            open: 0,
            in_progress: 1,
            urgent: 1
        }]
    );
    f.say(&f.sam, t.id, "on it").await;
    assert!(
        stats_events(&mut admin).is_empty(),
        "a message does not move the stats"
    );
    f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    assert_eq!(stats_events(&mut admin), vec![Stats::default()]);
}

pub async fn channel_joins_follow_the_policy(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "channels", Priority::Low).await;
    let s = &f.service;
    let ticket = Channel::Ticket(t.id);
    assert!(
        s.authorize_channel(&f.alice, &ticket).await.is_ok(),
        "owner joins"
    );
    assert!(
        s.authorize_channel(&f.bob, &ticket).await.is_err(),
        "another employee does not"
    );
    assert!(
        s.authorize_channel(&f.alice, &Channel::Admin)
            .await
            .is_err()
    );
    for staff in f.staff() {
        assert!(s.authorize_channel(staff, &ticket).await.is_ok());
        assert!(s.authorize_channel(staff, &Channel::Admin).await.is_ok());
    }
    let missing = Channel::Ticket(TicketId(t.id.0 + 500));
    assert!(s.authorize_channel(&f.sam, &missing).await.is_err());
    assert!(s.authorize_channel(&f.alice, &missing).await.is_err());
}

pub async fn bad_cursors_and_limits_are_rejected(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "paging", Priority::Low).await;
    for cursor in ["", "abc", "1.2.3", "1.9.0.0", "1.1.1.1.1", "-.-.-.-"] {
        let page = PageRequest {
            cursor: Some(cursor.to_owned()),
            limit: None,
        };
        match f
            .service
            .list_tickets(&f.sam, TicketFilter::default(), &page)
            .await
        {
            Err(Error::Invalid(e)) => assert!(e.get("cursor").is_some()),
            other => panic!("cursor {cursor:?} gave {other:?}"),
        }
    }
    let zero = PageRequest {
        cursor: None,
        limit: Some(0),
    };
    assert!(matches!(
        f.service.my_tickets(&f.alice, &zero).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        f.service
            .messages(&f.alice, t.id, MessagePosition::Latest, Some(0))
            .await,
        Err(Error::Invalid(_))
    ));
    let huge = PageRequest {
        cursor: None,
        limit: Some(u32::MAX),
    };
    assert!(
        f.service.my_tickets(&f.alice, &huge).await.is_ok(),
        "over-large limits are clamped"
    );
    assert!(
        f.service
            .messages(
                &f.alice,
                t.id,
                MessagePosition::After(MessageId(i64::MIN)),
                Some(u32::MAX)
            )
            .await
            .is_ok()
    );
}

pub async fn control_characters_are_refused_on_the_field_sent_and_line_breaks_kept(store: Store) {
    let f = Fixture::new(store);
    let field_of = |e: Error| match e {
        Error::Invalid(e) => e.fields().keys().cloned().collect::<Vec<_>>(),
        other => panic!("expected a validation error, got {other:?}"),
    };
    // NUL and the other control characters are refused, on the field the client sent.
    let ticket = serde_json::json!({
        "subject": "VPN\u{0}down", "description": "bell\u{7}", "category": "it", "priority": "low"
    });
    assert_eq!(
        field_of(NewTicket::from_json(&ticket).unwrap_err()),
        ["description", "subject"]
    );
    let comment = serde_json::json!({ "content": "x\u{0}y" });
    assert_eq!(
        field_of(NewMessage::from_json(&comment, "content").unwrap_err()),
        ["content"]
    );
    let chat = serde_json::json!({ "message": "esc\u{1b}[0m" });
    assert_eq!(
        field_of(NewMessage::from_json(&chat, "message").unwrap_err()),
        ["message"]
    );
    assert_eq!(
        field_of(QuickChat::from_json(&serde_json::json!({ "message": "\u{0}" })).unwrap_err()),
        ["message"]
    );
    let file = serde_json::json!({ "content": "see file", "attachments": [
        { "name": "a\u{0}.png", "url": "https://files/a.png", "content_type": "image/png", "size": 1 }
    ]});
    assert_eq!(
        field_of(NewMessage::from_json(&file, "content").unwrap_err()),
        ["attachments.0.name"]
    );

    // Tab, line feed and carriage return are text: stored and read back exactly.
    let description = "first line\r\nsecond\tcolumn\nthird";
    let input = NewTicket::parse("Tabs\tand breaks", description, "it", "low").unwrap();
    let t = f
        .service
        .create_ticket(&f.alice, input, &WriteContext::default())
        .await
        .unwrap();
    let stored = f.store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.subject.as_str(), stored.description.as_str()),
        ("Tabs\tand breaks", description)
    );
    let text = "a\tb\nc\r\nd";
    let posted = f.say(&f.alice, t.id, text).await;
    assert_eq!(posted.content, text);
    assert_eq!(f.all_messages(&f.sam, t.id).await, vec![posted]);

    // A name from the directory loses its control characters instead of failing the post.
    let odd = Actor::new(f.alice.id, "Alice\u{0}\tEmployee", Role::Employee);
    let m = f.say(&odd, t.id, "from a strange name").await;
    assert_eq!(m.author_name, "AliceEmployee");
    assert_eq!(f.all_messages(&f.sam, t.id).await.last(), Some(&m));

    // A search for a refused character matches nothing, and is no error.
    for q in ["\u{0}", "VPN\u{0}down", "\u{7}"] {
        let filter = TicketFilter {
            text: Some(q.to_owned()),
            ..TicketFilter::default()
        };
        assert!(f.list_all(filter).await.is_empty(), "{q:?}");
    }
}

pub async fn update_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "retry my change", Priority::Low).await;
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let mut channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let first = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::InProgress), &ctx_key("p1"))
        .await
        .unwrap();
    assert_eq!(first.status, Status::InProgress);
    assert!(!Fixture::drain(&mut admin).is_empty());
    assert!(!Fixture::drain(&mut channel).is_empty());
    let trail = f.store.audit_trail(t.id).await.unwrap();
    assert_eq!(trail.len(), 2, "creation and the change");

    let retry = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::InProgress), &ctx_key("p1"))
        .await
        .unwrap();
    assert_eq!(retry, first, "the retry answers the first result");
    assert_eq!(
        f.store.audit_trail(t.id).await.unwrap(),
        trail,
        "no second entry"
    );
    assert!(Fixture::drain(&mut admin).is_empty(), "no second broadcast");
    assert!(
        Fixture::drain(&mut channel).is_empty(),
        "no second broadcast"
    );

    // Someone else reopens it; a late retry of the first change does not apply it again.
    let reopened = f.patch(&f.ada, t.id, status(Status::Open)).await;
    Fixture::drain(&mut admin);
    let late = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::InProgress), &ctx_key("p1"))
        .await
        .unwrap();
    assert_eq!(
        late, reopened,
        "answered as the ticket is, not changed twice"
    );
    assert_eq!(f.store.audit_trail(t.id).await.unwrap().len(), 3);
    assert!(Fixture::drain(&mut admin).is_empty());

    // A keyed change that changes nothing is remembered too, and sends nothing.
    let same = status(Status::Open);
    for _ in 0..2 {
        let answer = f
            .service
            .update_ticket(&f.sam, t.id, same.clone(), &ctx_key("noop"))
            .await
            .unwrap();
        assert_eq!(answer, reopened);
    }
    assert_eq!(f.store.audit_trail(t.id).await.unwrap().len(), 3);
    assert!(Fixture::drain(&mut admin).is_empty());
}

pub async fn update_key_reused_for_a_different_request_conflicts(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "first", Priority::Low).await;
    let u = f.ticket(&f.alice, "second", Priority::Low).await;
    let resolved = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::Resolved), &ctx_key("k"))
        .await
        .unwrap();
    let conflict = |r: &Result<Ticket>| matches!(r, Err(Error::Conflict(_)));

    let other_change = TicketPatch {
        priority: Some(Priority::High),
        ..TicketPatch::default()
    };
    let r = f
        .service
        .update_ticket(&f.sam, t.id, other_change.clone(), &ctx_key("k"))
        .await;
    assert!(conflict(&r), "{r:?}");
    let r = f
        .service
        .update_ticket(&f.sam, u.id, status(Status::Resolved), &ctx_key("k"))
        .await;
    assert!(conflict(&r), "another ticket: {r:?}");
    assert_eq!(f.store.ticket(t.id).await.unwrap(), Some(resolved.clone()));
    assert_eq!(f.store.ticket(u.id).await.unwrap(), Some(u.clone()));

    // A message's key is not a change's, and the other way round.
    let body = NewMessage::public(MessageBody::parse("noted").unwrap());
    f.service
        .post_message(&f.sam, t.id, body.clone(), &ctx_key("m"))
        .await
        .unwrap();
    let r = f
        .service
        .update_ticket(&f.sam, t.id, other_change.clone(), &ctx_key("m"))
        .await;
    assert!(conflict(&r), "{r:?}");
    let r = f
        .service
        .post_message(&f.sam, t.id, body, &ctx_key("k"))
        .await;
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    let r = f
        .service
        .create_ticket(
            &f.sam,
            Fixture::ticket_input("staff too", Priority::Low),
            &ctx_key("k"),
        )
        .await;
    assert!(conflict(&r), "{r:?}");

    // Keys are per user: Ada's "k" is hers.
    let high = f
        .service
        .update_ticket(&f.ada, t.id, other_change, &ctx_key("k"))
        .await
        .unwrap();
    assert_eq!(high.priority, Priority::High);
    assert_eq!(
        f.store.audit_trail(t.id).await.unwrap().len(),
        3,
        "creation, resolved, priority"
    );
}

pub async fn concurrent_update_retries_with_one_key_apply_once(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "double click", Priority::Low).await;
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            f.service
                .update_ticket(&f.sam, t.id, status(Status::Pending), &ctx_key("once"))
                .await
        }));
    }
    for task in tasks {
        let answer = task.await.unwrap().unwrap();
        assert_eq!(answer.status, Status::Pending);
    }
    let trail = f.store.audit_trail(t.id).await.unwrap();
    assert_eq!(trail.len(), 2, "one change recorded: {trail:?}");
    let updated = Fixture::drain(&mut admin)
        .iter()
        .filter(|b| b.name() == "ticket.updated")
        .count();
    assert_eq!(updated, 1, "one broadcast");
}
