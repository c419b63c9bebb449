//! Two server processes on one PostgreSQL database, with no load balancer: a client connected
//! to one node sees what is posted through the other, in order and exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_event(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in 10 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = frame {
            return serde_json::from_str(&t).unwrap();
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
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{}/app/support-key?protocol=7",
        b.port
    ))
    .await
    .unwrap();
    let hello = next_event(&mut ws).await;
    let socket: Value = serde_json::from_str(hello["data"].as_str().unwrap()).unwrap();
    let socket = socket["socket_id"].as_str().unwrap().to_owned();
    let channel = format!("private-support.ticket.{t}");
    let auth: Value = b
        .http
        .post(format!("{}/broadcasting/auth", b.base))
        .bearer_auth(SAM)
        .form(&[
            ("socket_id", socket.as_str()),
            ("channel_name", channel.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // As pusher-js does: the auth answer's channel_data (the signed-in user) goes along.
    let data = json!({
        "channel": channel,
        "auth": auth["auth"],
        "channel_data": auth["channel_data"],
    });
    let sub = json!({"event": "pusher:subscribe", "data": data});
    ws.send(Message::Text(sub.to_string().into()))
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut ws).await["event"],
        "pusher_internal:subscription_succeeded"
    );

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

#[test]
fn postgres_probe_still_holds() {
    common::postgres_probe_still_holds();
}
