//! Read state over the real binary, on SQLite and on PostgreSQL: unread counts that go up with
//! messages and down after `read`, "Seen" receipts, a lower id changing nothing, an employee
//! never counting or seeing a note, and `message.read` reaching the employee's websocket with
//! the id clamped to the last public message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

/// The next `message.read` on the socket, its data parsed.
async fn next_read(ws: &mut Ws) -> Value {
    loop {
        let e = next_event(ws).await;
        if e["event"] == "message.read" {
            return serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
        }
    }
}

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

async fn read(s: &Server, token: &str, side: &str, t: i64, id: i64) {
    let (st, v) = s
        .call(
            "POST",
            &format!("{side}/{t}/read"),
            Some(token),
            Some(json!({ "message_id": id })),
        )
        .await;
    assert_eq!(st, 204, "{v}");
}

/// The caller's ticket `t` as the list `path` shows it.
async fn listed(s: &Server, token: &str, path: &str, t: i64) -> Value {
    let (st, v) = s.call("GET", path, Some(token), None).await;
    assert_eq!(st, 200, "{v}");
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == t)
        .cloned()
        .unwrap_or_else(|| panic!("{t} not in {path}: {v}"))
}

async fn unread(s: &Server, token: &str, path: &str, t: i64) -> i64 {
    listed(s, token, path, t).await["unread_count"]
        .as_i64()
        .unwrap()
}

async fn scenario(s: &Server) {
    let t = s.ticket(ALICE, "Printer").await;
    let mut alice_ws = ticket_socket(s, ALICE, t).await;

    // A fresh ticket: nothing unread, nothing said, waiting since it was opened.
    let mine = listed(s, ALICE, EMP, t).await;
    assert_eq!(mine["unread_count"], 0);
    assert_eq!(mine["last_message"], Value::Null);
    assert_eq!(mine["waiting_since"], mine["created_at"]);

    let hello = say(s, ALICE, EMP, t, "It is on fire", false).await;
    assert_eq!(unread(s, ALICE, EMP, t).await, 0, "her own message");
    assert_eq!(unread(s, SAM, ADM, t).await, 1);
    assert_eq!(unread(s, SAM, &format!("{ADM}/dashboard"), t).await, 1);

    let reply = say(s, SAM, ADM, t, "On my way", false).await;
    let note = say(s, SAM, ADM, t, "SECRET-NOTE: printer is cursed", true).await;

    // Alice counts and sees the reply, never the note.
    let mine = listed(s, ALICE, EMP, t).await;
    assert_eq!(mine["unread_count"], 1, "{mine}");
    assert_eq!(mine["last_message"]["id"], reply);
    assert_eq!(mine["last_message"]["content"], "On my way");
    assert_eq!(mine["last_message"]["author_type"], "support");
    assert_eq!(mine["waiting_since"], Value::Null, "staff answered");
    assert!(!mine.to_string().contains("SECRET"));
    // Ada counts all three and sees the note last.
    let ada = listed(s, ADA, ADM, t).await;
    assert_eq!(ada["unread_count"], 3);
    assert_eq!(ada["last_message"]["id"], note);

    // Alice reads: her count drops, and staff see "Seen".
    read(s, ALICE, EMP, t, reply).await;
    assert_eq!(next_read(&mut alice_ws).await["message_id"], reply);
    assert_eq!(unread(s, ALICE, EMP, t).await, 0);
    let (_, v) = s.call("GET", &format!("{ADM}/{t}"), Some(SAM), None).await;
    assert_eq!(v["data"]["read_receipts"]["employee"]["message_id"], reply);
    assert_eq!(v["data"]["read_receipts"]["staff"], Value::Null);
    assert_eq!(v["data"]["ticket"]["unread_count"], 1, "Alice's message");

    // A lower id changes nothing.
    read(s, ALICE, EMP, t, hello).await;
    let (_, v) = s
        .call("GET", &format!("{EMP}/{t}"), Some(ALICE), None)
        .await;
    assert_eq!(v["data"]["read_receipts"]["employee"]["message_id"], reply);
    assert_eq!(v["data"]["ticket"]["unread_count"], 0);

    // Sam reads up to the note: Alice's socket hears the reply's id, never the note's; her
    // view's staff receipt says the same.
    read(s, SAM, ADM, t, note).await;
    let heard = next_read(&mut alice_ws).await;
    assert_eq!(
        heard,
        json!({"ticket_id": t, "reader_id": 201, "reader_type": "support", "message_id": reply})
    );
    let (_, v) = s
        .call("GET", &format!("{EMP}/{t}"), Some(ALICE), None)
        .await;
    assert_eq!(v["data"]["read_receipts"]["staff"]["message_id"], reply);
    assert!(!v.to_string().contains(&format!("\"message_id\":{note}")));
    let (_, v) = s
        .call("GET", &format!("{ADM}/{t}/live-chat"), Some(ADA), None)
        .await;
    assert_eq!(v["data"]["read_receipts"]["staff"]["message_id"], note);
    assert_eq!(unread(s, SAM, ADM, t).await, 0);
    assert_eq!(unread(s, ADA, ADM, t).await, 3, "Ada has read nothing");

    // Another note read by staff: nothing reaches the ticket channel; Alice's next message
    // does, and is the next frame after it.
    let note2 = say(s, ADA, ADM, t, "SECRET-NOTE 2", true).await;
    read(s, SAM, ADM, t, note2).await;
    let again = say(s, ALICE, EMP, t, "Still burning", false).await;
    loop {
        let e = next_event(&mut alice_ws).await;
        assert_ne!(e["event"], "message.read", "a note read leaked: {e}");
        if e["event"] == "chat.message" {
            let data: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
            assert_eq!(data["id"], again);
            break;
        }
    }
    let ada = listed(s, ADA, ADM, t).await;
    assert_eq!(ada["unread_count"], 4, "all but her own note");
    let sam = listed(s, SAM, ADM, t).await;
    assert_eq!(sam["unread_count"], 1, "Alice's new message");
    assert_eq!(sam["waiting_since"], {
        let (_, v) = s
            .call(
                "GET",
                &format!("{EMP}/{t}/messages?after={note2}"),
                Some(ALICE),
                None,
            )
            .await;
        v["data"][0]["created_at"].clone()
    });

    // Refusals: a note is no message of Alice's, Bob may not see her ticket, a missing or bad
    // id is 422 on message_id.
    for (token, side, body, want) in [
        (ALICE, EMP, json!({"message_id": note}), 422),
        (BOB, EMP, json!({"message_id": hello}), 404),
        (ALICE, EMP, json!({}), 422),
        (ALICE, EMP, json!({"message_id": "x"}), 422),
        (ALICE, EMP, json!({"message_id": -1}), 422),
        (SAM, ADM, json!({"message_id": 999_999}), 422),
        (ALICE, ADM, json!({"message_id": hello}), 403),
    ] {
        let (st, v) = s
            .call(
                "POST",
                &format!("{side}/{t}/read"),
                Some(token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(st, want, "{body} on {side}: {v}");
        if want == 422 {
            assert!(v["errors"]["message_id"].is_array(), "{v}");
        }
    }
}

on_both_stores!(
    unread_counts_receipts_and_read_events_follow_the_reads,
    scenario
);
