//! The Python client `pysher` 1.0.8 (PyPI; `.ci/run` installs it), as shipped: it asks for
//! protocol 6, connects, subscribes to a public channel and receives an event triggered
//! through the signed HTTP API. Without pysher the build marks the test ignored, with the
//! reason, and under `CI` it runs and fails (the `test-prereqs` crate).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::json;
use support_transport_ws::Limits;
use test_prereqs::Prereq;
use tokio::sync::mpsc;

/// The script's process, killed if the test ends first.
struct Script(Child);

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The next line the script prints that starts with `step`, within 20 s.
async fn step(lines: &mut mpsc::UnboundedReceiver<String>, step: &str) -> String {
    let wait = async {
        while let Some(line) = lines.recv().await {
            assert!(
                !line.starts_with("ERROR") && !line.starts_with("TIMEOUT"),
                "pysher: {line}"
            );
            if let Some(rest) = line.strip_prefix(step) {
                return rest.trim().to_owned();
            }
        }
        panic!("the pysher script ended before {step}");
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("pysher did not reach {step} within 20 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_pysher, ignore = "needs python3 on PATH with pysher installed")]
async fn pysher_connects_subscribes_and_receives_an_event() {
    let version = Prereq::Pysher
        .probe()
        .unwrap_or_else(|why| Prereq::Pysher.gone(env!("TEST_PREREQS_STAMP"), &why));
    let s = start(Limits::default()).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/pysher_subscribe.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args([
            "127.0.0.1",
            &s.addr.port().to_string(),
            KEY,
            "support-updates",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().unwrap();
    let mut script = Script(child);
    let (tx, mut lines) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("pysher: {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    assert_eq!(
        step(&mut lines, "PROTOCOL").await,
        "6",
        "{version} asks for protocol 6"
    );
    let socket_id = step(&mut lines, "CONNECTED").await;
    assert!(socket_id.contains('.'), "a socket id: {socket_id}");
    step(&mut lines, "SUBSCRIBED").await;
    assert_eq!(s.hub.channel_info("support-updates").subscription_count, 1);

    let body = json!({
        "name": "greeting",
        "channel": "support-updates",
        "data": json!({"text": "hello from the HTTP API"}).to_string(),
    })
    .to_string();
    let (status, answer) = api(&s, "POST", &format!("/apps/{APP_ID}/events"), &[], &body).await;
    assert_eq!(status, 200, "{answer}");
    let data = step(&mut lines, "EVENT").await;
    let data: serde_json::Value = serde_json::from_str(&data).expect("the event's data is JSON");
    assert_eq!(data, json!({"text": "hello from the HTTP API"}));

    let status = tokio::task::spawn_blocking(move || script.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the pysher script ended with {status}");
}

#[test]
fn pysher_probe_still_holds() {
    Prereq::Pysher.assert_still_as_built(cfg!(no_pysher), env!("TEST_PREREQS_STAMP"));
}
