//! Nothing lost, nothing duplicated: `kill -9` while clients post, and a client that misses
//! messages while disconnected and catches up with `messages?after=`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

async fn all_messages(s: &Server, token: &str, ticket: i64) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    loop {
        let after = out.last().map_or(0, |m| m["id"].as_i64().unwrap());
        let (st, v) = s
            .call(
                "GET",
                &format!("/api/admin/support/{ticket}/messages?after={after}&limit=200"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let page = v["data"].as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    // Rate limits off: six writers as fast as the server takes them.
    let s = Arc::new(start_unthrottled(dir.path()));
    let t = s.ticket(ALICE, "crash").await;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..6 {
        let (s, acked) = (s.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let text = format!("writer {w} message {i}");
                let req = s
                    .http
                    .post(format!("{}/api/employee/portal/support/{t}/chat", s.base))
                    .bearer_auth(ALICE)
                    .json(&json!({ "message": text }));
                match req.send().await {
                    Ok(r) if r.status().as_u16() == 201 => acked.lock().unwrap().push(text),
                    _ => return, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for w in writers {
        w.await.unwrap();
    }
    drop(s);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "only {} messages were acknowledged before the kill",
        acked.len()
    );

    let again = start_on(dir.path(), 0);
    let stored = all_messages(&again, SAM, t).await;
    let contents: Vec<String> = stored
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<&String> = contents.iter().collect();
    assert_eq!(unique.len(), contents.len(), "a message is stored twice");
    for text in &acked {
        assert!(unique.contains(text), "acknowledged but lost: {text}");
    }
    // Whatever else is there was fully written: it parses and belongs to the ticket.
    for m in &stored {
        assert_eq!(m["ticket_id"], t);
        assert!(m["content"].as_str().unwrap().starts_with("writer "));
    }
}

async fn post(s: &Server, ticket: i64, text: &str) -> i64 {
    let (st, v) = s
        .call(
            "POST",
            &format!("/api/employee/portal/support/{ticket}/chat"),
            Some(ALICE),
            Some(json!({ "message": text })),
        )
        .await;
    assert_eq!(st, 201);
    v["data"]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_was_offline_catches_up_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let t = s.ticket(ALICE, "offline").await;
    let mut seen: Vec<i64> = Vec::new();
    let mut posted: Vec<i64> = Vec::new();

    let mut staff = ticket_socket(&s, SAM, t).await;
    for i in 0..3 {
        posted.push(post(&s, t, &format!("live {i}")).await);
        let e = next_event(&mut staff).await;
        assert_eq!(e["event"], "chat.message");
        let data: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
        seen.push(data["id"].as_i64().unwrap());
    }
    drop(staff); // staff goes offline
    for i in 0..5 {
        posted.push(post(&s, t, &format!("while offline {i}")).await);
    }
    // Back online: subscribe first, then fetch what was missed, then merge live events by id.
    let mut staff = ticket_socket(&s, SAM, t).await;
    let last = *seen.last().unwrap();
    let (_, v) = s
        .call(
            "GET",
            &format!("/api/admin/support/{t}/messages?after={last}"),
            Some(SAM),
            None,
        )
        .await;
    for m in v["data"].as_array().unwrap() {
        seen.push(m["id"].as_i64().unwrap());
    }
    posted.push(post(&s, t, "after reconnect").await);
    let e = next_event(&mut staff).await;
    let data: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
    let id = data["id"].as_i64().unwrap();
    if !seen.contains(&id) {
        seen.push(id);
    }
    assert_eq!(seen, posted, "every message exactly once, in order");
}
