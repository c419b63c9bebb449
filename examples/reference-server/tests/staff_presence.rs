//! A ticket's staff presence, `presence-support.ticket.{id}.staff`, on the real binary (one
//! node, SQLite): `/broadcasting/auth` signs every staff role in with their name and role
//! from the users file, and refuses employees (the ticket's own included), tickets that do
//! not exist and callers who are nobody.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

async fn auth(s: &Server, token: Option<&str>, channel: &str) -> (u16, Value) {
    let mut request = s
        .http
        .post(format!("{}/broadcasting/auth", s.base))
        .form(&[("socket_id", "123.456"), ("channel_name", channel)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn staff_join_with_their_name_and_role_and_nobody_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let t = s.ticket(ALICE, "who is on it").await;
    let channel = format!("presence-support.ticket.{t}.staff");
    for (token, id, name, role) in [
        (SAM, "201", "Sam Support", "support"),
        (ADA, "202", "Ada Admin", "admin"),
        (HANA, "203", "Hana HR", "hr"),
    ] {
        let (status, answer) = auth(&s, Some(token), &channel).await;
        assert_eq!(status, 200, "{name}: {answer}");
        let data: Value =
            serde_json::from_str(answer["channel_data"].as_str().expect("channel_data")).unwrap();
        assert_eq!(
            data,
            json!({"user_id": id, "user_info": {"name": name, "role": role}})
        );
        assert!(answer["auth"].as_str().unwrap().starts_with("support-key:"));
    }
    for (who, token) in [("the ticket's employee", ALICE), ("another employee", BOB)] {
        let (status, answer) = auth(&s, Some(token), &channel).await;
        assert_eq!(status, 403, "{who}: {answer}");
        assert!(answer.get("auth").is_none(), "{who}: {answer}");
    }
    let (status, _) = auth(&s, None, &channel).await;
    assert_eq!(status, 401, "nobody");
    let missing = format!("presence-support.ticket.{}.staff", t + 100);
    let (status, _) = auth(&s, Some(SAM), &missing).await;
    assert_eq!(status, 403, "a ticket that does not exist");
}
