//! Rate limits, against the real binary at its defaults: failed sign-ins (5 a minute per
//! address, as Laravel), wrong bearer tokens per address, messages and ticket writes per
//! user, channel auth, and the Pusher HTTP events API per app; each answers 429 with
//! `Retry-After`. Behind `--trusted-proxy` the address is the forwarded one; a forwarded
//! address from anyone else is ignored. `--no-rate-limits` turns them all off.
//!
//! Different client addresses are real: the requests leave from 127.0.0.x source addresses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{Value, json};
use support_transport_ws::signature;

fn start(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let server = start_with_args(dir.path(), 0, &db, extra);
    (dir, server)
}

/// A client whose requests leave from 127.0.0.`last`, following no redirect.
fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    /// `Cache-Control` and `X-Content-Type-Options`.
    caching: (Option<String>, Option<String>),
    body: String,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let header =
            |name: &str| (response.headers().get(name)).map(|v| v.to_str().unwrap().to_owned());
        let caching = (header("cache-control"), header("x-content-type-options"));
        Answer {
            status: response.status().as_u16(),
            retry_after,
            caching,
            body: response.text().await.unwrap(),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// 429 as the contract says: `Retry-After` in seconds and Laravel's body.
    fn assert_too_many_attempts(&self) {
        assert_eq!(self.status, 429, "{}", self.body);
        let wait = self.retry_after.expect("Retry-After");
        assert!((1..=60).contains(&wait), "Retry-After: {wait}");
        assert_eq!(self.json(), json!({"message": "Too Many Attempts."}));
        // A refusal is kept by no cache and read as nothing but what it says, like the
        // API's other answers (the guards answer before the API's router does).
        assert_eq!(
            self.caching,
            (Some("no-store".into()), Some("nosniff".into()))
        );
    }
}

async fn sign_in(
    client: &reqwest::Client,
    s: &Server,
    token: &str,
    forwarded: Option<&str>,
) -> Answer {
    let mut req = client
        .post(format!("{}/login", s.base))
        .form(&[("token", token)]);
    if let Some(ip) = forwarded {
        req = req.header("x-forwarded-for", ip);
    }
    Answer::of(req.send().await.unwrap()).await
}

/// A failed sign-in sends the browser back to the form with the error.
fn assert_failed(a: &Answer) {
    assert_eq!(a.status, 303, "{}", a.body);
}

/// The sign-in page's 429: it says when to try again, as `Retry-After` does.
fn assert_sign_in_refused(a: &Answer) {
    assert_eq!(a.status, 429, "{}", a.body);
    let wait = a.retry_after.expect("Retry-After");
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert!(
        a.body.contains(&format!("Try again in {wait} second")),
        "the page says when: {}",
        a.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sixth_failed_sign_in_from_one_address_is_refused_even_with_the_right_token() {
    let (_dir, s) = start(&[]);
    let attacker = client_from(2);
    // A forwarded address from a peer that is no trusted proxy changes nothing.
    for i in 0..5 {
        let spoofed = format!("198.51.100.{i}");
        assert_failed(&sign_in(&attacker, &s, "wrong-token-000000", Some(&spoofed)).await);
    }
    assert_sign_in_refused(
        &sign_in(&attacker, &s, "wrong-token-000000", Some("198.51.100.9")).await,
    );
    // Locked out: even the right token waits (Laravel's ThrottlesLogins).
    assert_sign_in_refused(&sign_in(&attacker, &s, ALICE, None).await);

    // Another address is not locked out, and a success spends nothing.
    let other = client_from(3);
    for _ in 0..8 {
        let a = sign_in(&other, &s, ALICE, None).await;
        assert_eq!(a.status, 303, "{}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_sign_in_failures_count_per_forwarded_address() {
    let (_dir, s) = start(&["--trusted-proxy", "127.0.0.5"]);
    let proxy = client_from(5);
    for _ in 0..5 {
        assert_failed(&sign_in(&proxy, &s, "wrong-token-000000", Some("203.0.113.1")).await);
    }
    assert_sign_in_refused(&sign_in(&proxy, &s, "wrong-token-000000", Some("203.0.113.1")).await);
    // The client to the left of another trusted hop is the one counted.
    assert_sign_in_refused(
        &sign_in(
            &proxy,
            &s,
            "wrong-token-000000",
            Some("203.0.113.1, 127.0.0.5"),
        )
        .await,
    );
    // Another client behind the same proxy signs in.
    let a = sign_in(&proxy, &s, ALICE, Some("203.0.113.2")).await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(a.body.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_bearer_tokens_from_one_address_get_429_before_any_token_is_checked() {
    let (_dir, s) = start(&[]);
    let attacker = client_from(2);
    let get = |client: &reqwest::Client, token: &str| {
        client
            .get(format!("{}/api/employee/portal/support", s.base))
            .bearer_auth(token)
            .send()
    };
    let mut unauthenticated = 0;
    let refused = loop {
        let a = Answer::of(get(&attacker, "not-a-token-of-anyone").await.unwrap()).await;
        if a.status != 401 {
            break a;
        }
        unauthenticated += 1;
        assert!(unauthenticated <= 10, "still 401 after {unauthenticated}");
    };
    refused.assert_too_many_attempts();
    assert_eq!(unauthenticated, 10);
    // The right token from that address waits too; from another address it works.
    Answer::of(get(&attacker, ALICE).await.unwrap())
        .await
        .assert_too_many_attempts();
    assert_eq!(get(&client_from(3), ALICE).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_past_their_rate_of_writes_gets_429_while_another_user_still_writes() {
    let (_dir, s) = start(&[]);
    let http = client_from(1);
    let t = s.ticket(ALICE, "Printer").await;
    let bob_t = s.ticket(BOB, "Screen").await;
    let post = |token: &str, ticket: i64, i: usize| {
        http.post(format!(
            "{}/api/employee/portal/support/{ticket}/chat",
            s.base
        ))
        .bearer_auth(token)
        .json(&json!({ "message": format!("message {i}") }))
        .send()
    };

    // Messages: 60 a minute.
    let began = Instant::now();
    let mut created = 0;
    let mut refused = None;
    for i in 0..100 {
        let a = Answer::of(post(ALICE, t, i).await.unwrap()).await;
        match a.status {
            201 => created += 1,
            _ => {
                refused = Some(a);
                break;
            }
        }
    }
    let refused = refused.expect("a 429 within 100 messages");
    refused.assert_too_many_attempts();
    let allowed = 60 + began.elapsed().as_secs() + 1;
    assert!((60..=allowed).contains(&created), "{created} created");
    // Bob is not Alice.
    assert_eq!(post(BOB, bob_t, 0).await.unwrap().status(), 201);

    // Ticket writes: 30 a minute (two were opened above, one by Alice).
    let began = Instant::now();
    let mut opened = 1;
    let refused = loop {
        let a = Answer::of(
            http.post(format!("{}/api/employee/portal/support", s.base))
                .bearer_auth(ALICE)
                .json(&json!({"subject": "More", "description": "d", "category": "it", "priority": "low"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if a.status != 201 {
            break a;
        }
        opened += 1;
        assert!(opened <= 40, "still opening tickets after {opened}");
    };
    refused.assert_too_many_attempts();
    assert!(opened >= 30 && opened <= 30 + began.elapsed().as_secs() + 1);
    let (status, v) = s
        .call(
            "POST",
            "/api/employee/portal/support",
            Some(BOB),
            Some(json!({"subject": "Bob's", "description": "d", "category": "it", "priority": "low"})),
        )
        .await;
    assert_eq!(status, 201, "{v}");
}

async fn channel_auth(
    http: &reqwest::Client,
    s: &Server,
    token: Option<&str>,
    channel: &str,
) -> Answer {
    let mut req = http
        .post(format!("{}/broadcasting/auth", s.base))
        .form(&[("socket_id", "1234.5678"), ("channel_name", channel)]);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    Answer::of(req.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn channel_auth_past_its_rate_gets_429_per_user_and_per_address_for_nobody() {
    let (_dir, s) = start(&[]);
    let http = client_from(1);
    let t = s.ticket(ALICE, "Printer").await;
    let channel = format!("private-support.ticket.{t}");

    // 120 a minute for Alice.
    let mut allowed = 0;
    let refused = loop {
        let a = channel_auth(&http, &s, Some(ALICE), &channel).await;
        if a.status != 200 {
            break a;
        }
        allowed += 1;
        assert!(allowed <= 140, "still allowed after {allowed}");
    };
    refused.assert_too_many_attempts();
    assert!(allowed >= 120, "{allowed}");
    // Sam joins the staff channel from the same address.
    assert_eq!(
        channel_auth(&http, &s, Some(SAM), "private-support.admin")
            .await
            .status,
        200
    );

    // Nobody (no token, no cookie) is counted per address.
    let nobody = client_from(4);
    let mut unauthenticated = 0;
    let refused = loop {
        let a = channel_auth(&nobody, &s, None, &channel).await;
        if a.status != 401 {
            break a;
        }
        unauthenticated += 1;
        assert!(unauthenticated <= 140, "still 401 after {unauthenticated}");
    };
    refused.assert_too_many_attempts();
    assert!(unauthenticated >= 120, "{unauthenticated}");
}

/// `POST /apps/support/batch_events` with `events` events, signed with the development
/// credentials the harness runs with.
async fn batch(http: &reqwest::Client, s: &Server, events: usize) -> Answer {
    let path = "/apps/support/batch_events";
    let batch: Vec<Value> = (0..events)
        .map(|i| json!({"name": "ping", "channel": "public-updates", "data": format!("{i}")}))
        .collect();
    let body = serde_json::to_vec(&json!({ "batch": batch })).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut params = BTreeMap::from([
        ("auth_key".to_owned(), "support-key".to_owned()),
        ("auth_timestamp".to_owned(), now.to_string()),
        ("auth_version".to_owned(), "1.0".to_owned()),
        ("body_md5".to_owned(), signature::body_md5(&body)),
    ]);
    let signed = signature::api_string("POST", path, &params);
    params.insert(
        "auth_signature".to_owned(),
        signature::sign("support-secret", &signed),
    );
    let query = serde_urlencoded::to_string(&params).unwrap();
    Answer::of(
        http.post(format!("{}{path}?{query}", s.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_events_api_past_the_apps_rate_gets_429() {
    let (_dir, s) = start(&[]);
    let http = client_from(1);
    // 100 events a second: batches of 10 as fast as they go.
    let began = Instant::now();
    let mut accepted = 0;
    let refused = loop {
        let a = batch(&http, &s, 10).await;
        if a.status != 200 {
            break a;
        }
        accepted += 10;
        assert!(accepted <= 1_000, "still accepted after {accepted} events");
    };
    refused.assert_too_many_attempts();
    let bound = 100 + 100 * began.elapsed().as_millis() as u64 / 1000 + 10;
    assert!(accepted >= 100 && accepted <= bound, "{accepted} events");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_rate_limits_nothing_trips() {
    let (_dir, s) = start(&["--no-rate-limits"]);
    let http = client_from(2);
    for _ in 0..8 {
        assert_failed(&sign_in(&http, &s, "wrong-token-000000", None).await);
    }
    assert_eq!(sign_in(&http, &s, ALICE, None).await.status, 303);
    for _ in 0..15 {
        let r = http
            .get(format!("{}/api/employee/portal/support", s.base))
            .bearer_auth("not-a-token-of-anyone")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let t = s.ticket(ALICE, "Printer").await;
    for i in 0..80 {
        let r = http
            .post(format!("{}/api/employee/portal/support/{t}/chat", s.base))
            .bearer_auth(ALICE)
            .json(&json!({ "message": format!("message {i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    for _ in 0..40 {
        s.ticket(ALICE, "More").await;
    }
    let channel = format!("private-support.ticket.{t}");
    for _ in 0..140 {
        assert_eq!(
            channel_auth(&http, &s, Some(ALICE), &channel).await.status,
            200
        );
        assert_eq!(channel_auth(&http, &s, None, &channel).await.status, 401);
    }
    for _ in 0..30 {
        let a = batch(&http, &s, 10).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
}
