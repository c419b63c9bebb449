//! Appending messages and reading them back: ids in posting order, pages after and before a
//! message, the ticket view's newest page, content unchanged.

use std::collections::HashSet;

use super::*;

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

/// Clients choose the ids in `after` and `before`: a position at either end of the id range is
/// an ordinary position, answered with every message or none, never an error.
pub async fn message_positions_at_the_ends_of_the_id_range_are_ordinary(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "edges", Priority::Low).await;
    let mut all = Vec::new();
    for i in 0..3 {
        all.push(f.say(&f.alice, t.id, &format!("m{i}")).await);
    }
    let page = |position| f.service.messages(&f.alice, t.id, position, Some(u32::MAX));
    let (min, max) = (MessageId(i64::MIN), MessageId(i64::MAX));
    assert_eq!(page(MessagePosition::After(min)).await.unwrap(), all);
    assert_eq!(page(MessagePosition::Before(max)).await.unwrap(), all);
    assert!(page(MessagePosition::After(max)).await.unwrap().is_empty());
    assert!(page(MessagePosition::Before(min)).await.unwrap().is_empty());
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
