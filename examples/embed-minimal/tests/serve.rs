//! Starts the example binary as an embedder would run it: a ticket opened and a reply posted
//! over HTTP reach a websocket client signed in to the ticket's channel through
//! `/broadcasting/auth`, and SIGTERM closes that client with 4200 and ends the process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support_transport_ws::testing::{Client, http, next};

/// The example, listening on a free port with a SQLite file in a fresh directory.
struct Example {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Example {
    start_with(&[])
}

fn start_with(envs: &[(&str, &str)]) -> Example {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_embed-minimal"))
        .env_remove("SUPPORT_JWT_SECRET")
        .envs(envs.iter().copied())
        .env("BIND", "127.0.0.1:0")
        .env("DATABASE_URL", db)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the embed-minimal binary");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a line").unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split(' ').next())
        .expect(&first)
        .parse()
        .unwrap();
    std::thread::spawn(move || for _ in lines {});
    Example {
        child,
        addr,
        _dir: dir,
    }
}

async fn post(addr: SocketAddr, path: &str, user: &str, body: Value) -> Value {
    let headers = [("x-user", user), ("content-type", "application/json")];
    let (status, text) = http(addr, "POST", path, &headers, body.to_string().as_bytes()).await;
    assert_eq!(status, 201, "POST {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_posted_over_http_reaches_the_employees_websocket_and_sigterm_closes_it() {
    let mut example = start();
    let addr = example.addr;
    let (status, body) = http(addr, "GET", "/", &[], b"").await;
    assert_eq!((status, body.as_str()), (200, "the existing app"));

    let ticket = post(
        addr,
        "/api/employee/portal/support",
        "1",
        json!({"subject": "Login issue", "description": "Cannot log in", "category": "it", "priority": "high"}),
    )
    .await["data"]["id"]
        .as_i64()
        .unwrap();

    // Erin's browser: connected with the app key, signed in with her own credentials.
    let mut erin = Client::connect(addr, "my-key").await;
    erin.sign_in(
        &format!("private-support.ticket.{ticket}"),
        &[("x-user", "1")],
    )
    .await;

    let reply = json!({"message": "Let me check your account status..."});
    post(
        addr,
        &format!("/api/admin/support/{ticket}/chat"),
        "2",
        reply,
    )
    .await;
    let event = erin.event("chat.message").await;
    assert_eq!(event["message"], "Let me check your account status...");
    assert_eq!(event["sender_name"], "Sid Support");

    let pid = example.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    assert_eq!(next(erin.ws()).await["close"], 4200, "closed to reconnect");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = example.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exited with {status}");
}

/// The JWT a host page puts in the widget's `data-token`: the caller's id, name and role,
/// HS256 with the shared secret, living five minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_token_names_the_caller_signed_with_the_shared_secret() {
    let secret = "a-secret-shared-with-the-reference-server";
    let example = start_with(&[("SUPPORT_JWT_SECRET", secret)]);
    let (status, token) = http(
        example.addr,
        "GET",
        "/support/widget-token",
        &[("x-user", "2")],
        b"",
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .expect("a valid HS256 token")
    .claims;
    assert_eq!(claims["sub"], "2");
    assert_eq!(claims["name"], "Sid Support");
    assert_eq!(claims["role"], "support");
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 300);
    let wrong = jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_secret(b"another-secret"),
        &validation,
    );
    assert!(wrong.is_err(), "signed with the shared secret, not any");

    let (status, _) = http(example.addr, "GET", "/support/widget-token", &[], b"").await;
    assert_eq!(status, 401, "nobody gets no token");
    let without = start();
    let (status, _) = http(
        without.addr,
        "GET",
        "/support/widget-token",
        &[("x-user", "1")],
        b"",
    )
    .await;
    assert_eq!(status, 404, "no secret, no route");
}
