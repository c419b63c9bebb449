//! Replies that reopen, ticket versions and the thread's activity over the real binary, on
//! SQLite and on PostgreSQL: an employee's reply on a resolved ticket puts it back on the
//! dashboard, is announced to the ticket's channel with who did it, and shows in the activity;
//! a `PATCH` with a stale `If-Match` answers 409 with the ticket as it is and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

/// The ticket's `ETag` and body as `token` sees it.
async fn tagged(s: &Server, token: &str, path: &str) -> (String, Value) {
    let res = s
        .http
        .get(format!("{}{path}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    (etag, res.json().await.unwrap())
}

/// `PATCH` with `If-Match: if_match`; the status and body.
async fn patch(s: &Server, t: i64, if_match: &str, body: Value) -> (u16, Value) {
    let (st, text) = s
        .raw(
            "PATCH",
            &format!("{ADM}/{t}"),
            SAM,
            &[("If-Match", if_match), ("Content-Type", "application/json")],
            body.to_string().into_bytes(),
        )
        .await;
    (st, serde_json::from_str(&text).unwrap())
}

/// The next `ticket.updated` on the socket, its data parsed.
async fn next_update(ws: &mut Ws) -> Value {
    loop {
        let e = next_event(ws).await;
        if e["event"] == "ticket.updated" {
            return serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
        }
    }
}

async fn scenario(s: &Server) {
    let t = s.ticket(ALICE, "Scanner").await;
    let (etag, v) = tagged(s, SAM, &format!("{ADM}/{t}")).await;
    assert_eq!(v["data"]["ticket"]["version"], 1);
    assert_eq!(etag, "\"1\"");

    // Sam takes it and resolves it, each on the version he saw.
    let (st, v) = patch(s, t, "\"1\"", json!({"assigned_to": 201})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["version"], 2);
    let (st, v) = patch(s, t, "W/\"2\"", json!({"status": "resolved"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["version"], 3);

    // A change made on what Sam saw before that is refused with the ticket as it is now, and
    // changes nothing.
    let (st, v) = patch(s, t, "2", json!({"priority": "low"})).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["data"]["version"], 3);
    assert_eq!(v["data"]["status"], "resolved");
    let (_, v) = s.call("GET", &format!("{ADM}/{t}"), Some(SAM), None).await;
    assert_eq!(v["data"]["ticket"]["priority"], "high");
    assert_eq!(v["data"]["ticket"]["version"], 3);
    // A malformed version is the client's error, named.
    let (st, v) = patch(s, t, "soon", json!({"priority": "low"})).await;
    assert_eq!(st, 422, "{v}");
    let (st, v) = s
        .call(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some(SAM),
            Some(json!({"priority": "low", "version": 0})),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    assert!(v["errors"]["version"].is_array(), "{v}");

    // Off the dashboard while resolved; Alice's reply brings it back, open, announced on her
    // ticket's channel with her as the actor.
    let on_dashboard = |v: &Value| v["data"].as_array().unwrap().iter().any(|x| x["id"] == t);
    let (_, d) = s
        .call("GET", &format!("{ADM}/dashboard"), Some(SAM), None)
        .await;
    assert!(!on_dashboard(&d));
    let open_before = d["stats"]["open"].as_i64().unwrap();
    let mut alice_ws = ticket_socket(s, ALICE, t).await;
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "It jams again"})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let update = next_update(&mut alice_ws).await;
    assert_eq!(update["ticket"]["status"], "open", "{update}");
    assert_eq!(update["actor"]["id"], 101, "{update}");
    assert_eq!(update["changes"][0]["field"], "status");
    assert_eq!(update["changes"][0]["before"], "resolved");
    let (_, d) = s
        .call("GET", &format!("{ADM}/dashboard"), Some(SAM), None)
        .await;
    assert!(on_dashboard(&d), "{d}");
    assert_eq!(d["stats"]["open"].as_i64().unwrap(), open_before + 1);

    // Both sides' views tell the story, oldest first: taken by Sam, resolved by Sam,
    // reopened by Alice.
    for (token, path) in [(ALICE, format!("{EMP}/{t}")), (SAM, format!("{ADM}/{t}"))] {
        let (etag, v) = tagged(s, token, &path).await;
        assert_eq!(etag, "\"4\"", "the reopening is a change");
        let told: Vec<(String, String, Value)> = v["data"]["activity"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["actor_name"].as_str().unwrap().to_owned(),
                    e["after"].clone(),
                )
            })
            .collect();
        assert_eq!(
            told,
            [
                ("created".into(), "Alice Employee".into(), Value::Null),
                ("assigned_to".into(), "Sam Support".into(), json!(201)),
                ("status".into(), "Sam Support".into(), json!("resolved")),
                ("status".into(), "Alice Employee".into(), json!("open")),
            ],
            "{v}"
        );
    }
    // Sam's reply on a resolved ticket would not reopen it.
    let (st, _) = patch(s, t, "4", json!({"status": "resolved"})).await;
    assert_eq!(st, 200);
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/chat"),
            Some(SAM),
            Some(json!({"message": "Closing this, reply if it jams again"})),
        )
        .await;
    assert_eq!(st, 201);
    let (_, v) = s.call("GET", &format!("{ADM}/{t}"), Some(SAM), None).await;
    assert_eq!(v["data"]["ticket"]["status"], "resolved");
}

on_both_stores!(replies_reopen_and_stale_changes_are_refused, scenario);
