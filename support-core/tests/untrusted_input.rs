//! Everything that parses input from outside answers with a value or a typed error, never a
//! panic, whatever the bytes; and what it accepts obeys the documented bounds.

use proptest::prelude::*;
use serde_json::{Value, json};
use support_core::store::TicketKey;
use support_core::*;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "it",
            "urgent",
            "in_progress",
            "resolved",
            "",
            " ",
            "1",
            "0"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "subject",
                        "description",
                        "category",
                        "priority",
                        "status",
                        "assigned_to",
                        "message",
                        "content",
                        "is_internal",
                        "attachments",
                        "name",
                        "url",
                        "content_type",
                        "size",
                        "other",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn json_forms_never_panic(body in json_value()) {
        let _ = NewTicket::from_json(&body);
        let _ = QuickChat::from_json(&body);
        let _ = TicketPatch::from_json(&body);
        if let Ok(m) = NewMessage::from_json(&body, "content") {
            let n = m.body.as_str().chars().count();
            prop_assert!((1..=2000).contains(&n));
            prop_assert_eq!(m.body.as_str().trim(), m.body.as_str());
            prop_assert!(m.attachments.len() <= 10);
        }
    }

    #[test]
    fn message_bodies_obey_their_bounds(raw in ".{0,2100}") {
        match MessageBody::parse(&raw) {
            Ok(b) => {
                prop_assert_eq!(b.as_str(), raw.trim());
                prop_assert!((1..=2000).contains(&b.as_str().chars().count()));
            }
            Err(Error::Invalid(e)) => prop_assert!(e.get("content").is_some()),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn names_and_cursors_never_panic(raw in "\\PC{0,60}") {
        let _ = raw.parse::<Channel>();
        let _ = raw.parse::<SocketId>();
        let _ = raw.parse::<IdempotencyKey>();
        let _ = TicketKey::decode(&raw);
        let _ = raw.parse::<Status>();
    }

    #[test]
    fn cursors_round_trip(id in 1i64..i64::MAX, rank in 0i64..4, c in 0i64..4_000_000_000_000_000, u in 0i64..4_000_000_000_000_000) {
        let key = TicketKey {
            id: TicketId(id),
            priority: Priority::from_rank(rank).unwrap(),
            created_at: time::from_micros(c).unwrap(),
            updated_at: time::from_micros(u).unwrap(),
        };
        prop_assert_eq!(TicketKey::decode(&key.encode()).unwrap(), key);
    }

    #[test]
    fn channel_names_round_trip(id in 0i64..i64::MAX) {
        let c = Channel::Ticket(TicketId(id));
        prop_assert_eq!(c.to_string().parse::<Channel>().unwrap(), c);
    }
}
