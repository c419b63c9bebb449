//! Two server processes on one PostgreSQL database, with no load balancer: a client connected
//! to one node sees what is posted through the other, in order and exactly once, and a
//! ticket's staff presence has the agents of both nodes, and reads and reopenings made on one
//! node reach the employee's socket on the other.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use support_transport_ws::testing::{Client, next_within};

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_read_and_a_reopening_on_one_node_reach_the_employee_on_the_other() {
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let a = start_with_db(dir.path(), 0, &db.url());
    let b = start_with_db(dir.path(), 0, &db.url());
    let t = a.ticket(ALICE, "two nodes, read").await;
    let mut alice = ticket_socket(&b, ALICE, t).await;
    let (st, v) = a
        .call(
            "POST",
            &format!("/api/admin/support/{t}/chat"),
            Some(SAM),
            Some(json!({"message": "Have you tried turning it off?"})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let reply = v["data"]["id"].as_i64().unwrap();
    let (st, v) = a
        .call(
            "PATCH",
            &format!("/api/admin/support/{t}"),
            Some(SAM),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    // Alice reads through node B: node A's view has the receipt.
    let (st, v) = b
        .call(
            "POST",
            &format!("/api/employee/portal/support/{t}/read"),
            Some(ALICE),
            Some(json!({ "message_id": reply })),
        )
        .await;
    assert_eq!(st, 204, "{v}");
    let (_, v) = a
        .call("GET", &format!("/api/admin/support/{t}"), Some(SAM), None)
        .await;
    assert_eq!(v["data"]["read_receipts"]["employee"]["message_id"], reply);

    // Sam's read on node A, and Alice's reopening reply on node A, reach her socket on B.
    let (st, _) = a
        .call(
            "POST",
            &format!("/api/employee/portal/support/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "It did not help"})),
        )
        .await;
    assert_eq!(st, 201);
    let mine = loop {
        let e = next_event(&mut alice).await;
        if e["event"] == "ticket.updated" {
            let d: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
            if d["ticket"]["status"] == "open" {
                assert_eq!(d["actor"]["full_name"], "Alice Employee", "{d}");
                break d["ticket"]["version"].clone();
            }
        }
    };
    assert_eq!(mine, 3, "version 1, resolved (2), reopened (3)");
    let (_, v) = a
        .call("GET", &format!("/api/admin/support/{t}"), Some(SAM), None)
        .await;
    let newest = v["data"]["messages"].as_array().unwrap().last().unwrap()["id"].clone();
    let (st, _) = a
        .call(
            "POST",
            &format!("/api/admin/support/{t}/read"),
            Some(SAM),
            Some(json!({ "message_id": newest })),
        )
        .await;
    assert_eq!(st, 204);
    loop {
        let e = next_event(&mut alice).await;
        if e["event"] == "message.read" {
            let d: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
            assert_eq!(d["reader_type"], "support");
            assert_eq!(d["message_id"], newest);
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_client_on_one_node_sees_what_is_posted_through_the_other() {
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let a = start_with_db(dir.path(), 0, &db.url());
    let b = start_with_db(dir.path(), 0, &db.url());
    let t = a.ticket(ALICE, "two nodes").await;

    // Sam is connected to node B.
    let mut ws = ticket_socket(&b, SAM, t).await;

    // Alice posts through node A.
    let texts = vec!["first".to_owned(), "😀".repeat(2000), "third".to_owned()];
    let mut ids = Vec::new();
    for text in &texts {
        let (st, v) = a
            .call(
                "POST",
                &format!("/api/employee/portal/support/{t}/chat"),
                Some(ALICE),
                Some(json!({ "message": text })),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        ids.push(v["data"]["id"].as_i64().unwrap());
    }
    let mut got = Vec::new();
    while got.len() < texts.len() {
        let e = next_event(&mut ws).await;
        if e["event"] == "chat.message" {
            let data: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
            got.push((
                data["id"].as_i64().unwrap(),
                data["message"].as_str().unwrap().to_owned(),
            ));
        }
    }
    assert_eq!(
        got,
        ids.into_iter().zip(texts).collect::<Vec<_>>(),
        "in order, whole, once"
    );
    let extra = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(extra.is_err(), "nothing delivered twice: {extra:?}");
}

/// An agent's connection to one node, joined to a ticket's staff presence, with the members
/// it was told of.
struct Agent {
    client: Client,
    members: BTreeSet<String>,
}

impl Agent {
    async fn join(node: &Server, token: &str, channel: &str) -> Agent {
        let addr: SocketAddr = format!("127.0.0.1:{}", node.port).parse().unwrap();
        let mut client = Client::connect(addr, "support-key").await;
        let bearer = format!("Bearer {token}");
        let ok = client
            .sign_in(channel, &[("authorization", bearer.as_str())])
            .await;
        let data: Value = serde_json::from_str(ok["data"].as_str().unwrap()).unwrap();
        let members = data["presence"]["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        Agent { client, members }
    }

    /// The next member_added / member_removed within `bound`, applied to `members`:
    /// `("added" | "removed", user_id)`.
    async fn change_within(&mut self, bound: Duration) -> Option<(&'static str, String)> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = next_within(self.client.ws(), left).await?;
            assert!(frame.get("close").is_none(), "closed: {frame}");
            let kind = match frame["event"].as_str() {
                Some("pusher_internal:member_added") => "added",
                Some("pusher_internal:member_removed") => "removed",
                _ => continue,
            };
            let data: Value = serde_json::from_str(frame["data"].as_str().unwrap()).unwrap();
            let user = data["user_id"].as_str().unwrap().to_owned();
            if kind == "added" {
                assert!(self.members.insert(user.clone()), "{user} added twice");
            } else {
                assert!(
                    self.members.remove(&user),
                    "{user} removed but not a member"
                );
            }
            return Some((kind, user));
        }
    }

    /// Waits until the members are exactly `want`.
    async fn sees(&mut self, want: &[&str], bound: Duration) {
        let deadline = tokio::time::Instant::now() + bound;
        while self
            .members
            .iter()
            .map(String::as_str)
            .ne(want.iter().copied())
        {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                self.change_within(left).await.is_some(),
                "members {:?}, not {want:?}, after {bound:?}",
                self.members
            );
        }
    }

    async fn nothing_for(&mut self, quiet: Duration) {
        let change = self.change_within(quiet).await;
        assert!(change.is_none(), "expected no change, got {change:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn agents_on_two_nodes_see_each_other_on_a_tickets_staff_presence() {
    const QUIET: Duration = Duration::from_secs(1);
    const SOON: Duration = Duration::from_secs(5);
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let a = start_with_db(dir.path(), 0, &db.url());
    let mut b = start_with_db(dir.path(), 0, &db.url());
    let t = a.ticket(ALICE, "who else is on it").await;
    let channel = format!("presence-support.ticket.{t}.staff");

    // Sam on node A, Ada on node B: each sees the other.
    let mut sam = Agent::join(&a, SAM, &channel).await;
    let mut ada = Agent::join(&b, ADA, &channel).await;
    ada.sees(&["201", "202"], SOON).await;
    sam.sees(&["201", "202"], SOON).await;

    // Sam opens the ticket in a second tab, on node B: still one member.
    let sam_tab = Agent::join(&b, SAM, &channel).await;
    assert_eq!(
        sam_tab.members,
        BTreeSet::from(["201".into(), "202".into()])
    );
    ada.nothing_for(QUIET).await;
    // Closing one tab removes nothing; closing both removes Sam, once.
    drop(sam_tab);
    ada.nothing_for(QUIET).await;
    drop(sam);
    assert_eq!(
        ada.change_within(SOON).await,
        Some(("removed", "201".to_owned()))
    );
    ada.nothing_for(QUIET).await;

    // Sam is back on A; node B is killed: A drops Ada once B is not heard from, within the
    // expiry (15 s) and the sweep (1 s).
    let mut sam = Agent::join(&a, SAM, &channel).await;
    sam.sees(&["201", "202"], SOON).await;
    b.child.kill().unwrap();
    b.child.wait().unwrap();
    let killed = std::time::Instant::now();
    assert_eq!(
        sam.change_within(Duration::from_secs(25)).await,
        Some(("removed", "202".to_owned())),
        "Ada leaves after node B is killed"
    );
    let waited = killed.elapsed();
    assert!(
        waited <= Duration::from_secs(18),
        "removed {waited:?} after the kill"
    );
    assert_eq!(sam.members, BTreeSet::from(["201".to_owned()]));
}

#[test]
fn postgres_probe_still_holds() {
    common::postgres_probe_still_holds();
}
