//! Reactions over the real binary, on SQLite and on PostgreSQL: toggled per user and counted,
//! shown on every message with the caller's own marked, heard live on the ticket's websocket,
//! and never reaching an employee from an internal note, by the API or the socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

/// Posts on the ticket as `token` (a note when `internal`); the message's id.
async fn say(s: &Server, token: &str, side: &str, t: i64, text: &str, internal: bool) -> i64 {
    let (st, v) = s
        .call(
            "POST",
            &format!("{side}/{t}/comment"),
            Some(token),
            Some(json!({"content": text, "is_internal": internal})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

async fn react(s: &Server, token: &str, side: &str, t: i64, m: i64, emoji: &str) -> (u16, Value) {
    s.call(
        "POST",
        &format!("{side}/{t}/messages/{m}/reactions"),
        Some(token),
        Some(json!({ "emoji": emoji })),
    )
    .await
}

/// The next `message.reaction` on the socket, its data parsed.
async fn next_reaction(ws: &mut Ws) -> Value {
    loop {
        let e = next_event(ws).await;
        if e["event"] == "message.reaction" {
            return serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
        }
    }
}

/// The reactions of message `m` in a list of message objects.
fn reactions_of(messages: &Value, m: i64) -> Value {
    messages
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == m)
        .unwrap_or_else(|| panic!("message {m} not in {messages}"))["reactions"]
        .clone()
}

async fn scenario(s: &Server) {
    let t = s.ticket(ALICE, "Printer jam").await;
    let hello = say(s, ALICE, EMP, t, "The printer jams on page 2", false).await;
    let note = say(s, SAM, ADM, t, "Internal: toner recall", true).await;
    let mut alice_ws = ticket_socket(s, ALICE, t).await;

    // Sam reacts; Alice's socket hears the new count.
    let (st, v) = react(s, SAM, ADM, t, hello, "👍").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"], json!({"emoji": "👍", "count": 1, "mine": true}));
    let heard = next_reaction(&mut alice_ws).await;
    assert_eq!(
        heard,
        json!({"ticket_id": t, "message_id": hello, "emoji": "👍", "count": 1, "user_id": 201, "added": true})
    );
    // Twice is once.
    let (_, v) = react(s, SAM, ADM, t, hello, "👍").await;
    assert_eq!(v["data"]["count"], 1);

    // Alice adds hers; the thread shows two, hers marked.
    let (st, v) = react(s, ALICE, EMP, t, hello, "👍").await;
    assert_eq!((st, v["data"]["count"].clone()), (200, json!(2)), "{v}");
    assert_eq!(
        next_reaction(&mut alice_ws).await["count"],
        2,
        "her own socket hears it too"
    );
    let (_, v) = s
        .call("GET", &format!("{EMP}/{t}"), Some(ALICE), None)
        .await;
    assert_eq!(
        reactions_of(&v["data"]["messages"], hello),
        json!([{"emoji": "👍", "count": 2, "mine": true}])
    );

    // A note's reactions stay with staff: Alice cannot react to it, and Sam's reaction on it
    // never reaches her socket (the next thing she hears is the one on the public message).
    let (st, _) = react(s, ALICE, EMP, t, note, "👀").await;
    assert_eq!(st, 404);
    let (st, v) = react(s, SAM, ADM, t, note, "👀").await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = react(s, SAM, ADM, t, hello, "🎉").await;
    assert_eq!(st, 200);
    let heard = next_reaction(&mut alice_ws).await;
    assert_eq!(
        (heard["message_id"].clone(), heard["emoji"].clone()),
        (json!(hello), json!("🎉"))
    );
    let (_, v) = s
        .call("GET", &format!("{ADM}/{t}/messages"), Some(SAM), None)
        .await;
    assert_eq!(
        reactions_of(&v["data"], note),
        json!([{"emoji": "👀", "count": 1, "mine": true}])
    );
    assert_eq!(
        reactions_of(&v["data"], hello),
        json!([{"emoji": "👍", "count": 2, "mine": true}, {"emoji": "🎉", "count": 1, "mine": true}])
    );
    let (_, v) = s
        .call("GET", &format!("{EMP}/{t}/messages"), Some(ALICE), None)
        .await;
    assert!(!v.to_string().contains("👀"), "{v}");

    // Bob may not know the ticket exists.
    let (st, _) = react(s, BOB, EMP, t, hello, "👍").await;
    assert_eq!(st, 404);

    // Taking one back, with the emoji percent-encoded in the path.
    let (st, v) = s
        .call(
            "DELETE",
            &format!("{EMP}/{t}/messages/{hello}/reactions/%F0%9F%91%8D"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"], json!({"emoji": "👍", "count": 1, "mine": false}));
    let heard = next_reaction(&mut alice_ws).await;
    assert_eq!(
        (heard["count"].clone(), heard["added"].clone()),
        (json!(1), json!(false))
    );

    // Bad input: named on the field, or a path that names nothing.
    for bad in [
        json!({"emoji": "ok"}),
        json!({"emoji": "👍👍"}),
        json!({}),
        json!({"emoji": 5}),
    ] {
        let (st, v) = s
            .call(
                "POST",
                &format!("{EMP}/{t}/messages/{hello}/reactions"),
                Some(ALICE),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(st, 422, "{bad}: {v}");
        assert!(v["errors"]["emoji"].is_array(), "{bad}: {v}");
    }
    for path in [
        format!("{EMP}/{t}/messages/{hello}/reactions/ok"),
        format!("{EMP}/{t}/messages/abc/reactions/%F0%9F%91%8D"),
        format!("{EMP}/{t}/messages/999999/reactions/%F0%9F%91%8D"),
    ] {
        let (st, v) = s.call("DELETE", &path, Some(ALICE), None).await;
        assert_eq!(st, 404, "{path}: {v}");
    }
}

on_both_stores!(
    reactions_are_counted_and_heard_where_the_message_travels,
    scenario
);
