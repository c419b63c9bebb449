//! `GET /metrics` as an operator uses it: off without a flag, guarded by `--metrics-token`,
//! on a listener of its own with `--metrics-bind`; its output passes `promtool check
//! metrics` and counts what real websocket clients and API calls did. `--log-format json`
//! writes one JSON object per stderr line, with the websocket layer's structured fields. The
//! shipped alerting rules pass `promtool check rules`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use support_transport_ws::testing::{self, Client};

const TOKEN: &str = "metrics-token-0123456789";

fn promtool() -> std::ffi::OsString {
    test_prereqs::promtool_path()
}

#[test]
fn promtool_probe_still_holds() {
    test_prereqs::Prereq::Promtool
        .assert_still_as_built(cfg!(no_promtool), env!("TEST_PREREQS_STAMP"));
}

/// The samples of a Prometheus text exposition: `name{labels}` (labels as written) → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect(l);
            (series.to_owned(), value.parse().expect(l))
        })
        .collect()
}

/// The value of the series `name` whose labels include every one of `labels`; 0 when there
/// is none (a counter not yet counted). Panics if several series match.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = samples(text)
        .into_iter()
        .filter(|(series, _)| {
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v)
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:?}");
    found.first().copied().unwrap_or(0.0)
}

/// The first JSON line of the server's stderr whose message is `message`, waiting up to two
/// seconds for it.
fn json_line(s: &Server, message: &str) -> Value {
    for _ in 0..40 {
        let lines = s.stderr.lock().unwrap().clone();
        if let Some(found) = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["fields"]["message"] == message)
        {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no {message:?} line in {:?}", s.stderr.lock().unwrap());
}

async fn get_metrics(base: &str, token: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Scrapes until `ready` holds for the body (a frame is counted once its write returns,
/// which the client may see first), for at most three seconds; the last body either way.
async fn scrape_until(base: &str, ready: impl Fn(&str) -> bool) -> String {
    let mut body = String::new();
    for _ in 0..60 {
        let (status, text) = get_metrics(base, Some(TOKEN)).await;
        assert_eq!(status, 200, "{text}");
        body = text;
        if ready(&body) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    body
}

/// `promtool check metrics` on `body`: passes, with no lint problem reported.
fn promtool_accepts(body: &str) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics: {said}\n{body}"
    );
    assert!(said.trim().is_empty(), "promtool check metrics: {said}");
}

fn addr(s: &Server) -> SocketAddr {
    format!("127.0.0.1:{}", s.port).parse().unwrap()
}

/// Event frames that arrive within a short while (the ones beyond what a test waited for).
async fn drain(client: &mut Client) -> usize {
    let mut n = 0;
    while let Some(frame) = testing::next_within(client.ws(), Duration::from_millis(300)).await {
        if frame["event"]
            .as_str()
            .is_some_and(|e| !e.starts_with("pusher"))
        {
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_promtool, ignore = "needs promtool on PATH or PROMTOOL")]
async fn metrics_count_what_clients_did_and_pass_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &["--metrics-token", TOKEN]);

    // Only the token's bearer may read them.
    assert_eq!(get_metrics(&s.base, None).await.0, 401);
    assert_eq!(
        get_metrics(&s.base, Some("metrics-token-0123456780"))
            .await
            .0,
        401
    );
    for user in [ALICE, SAM, ADA] {
        assert_eq!(
            get_metrics(&s.base, Some(user)).await.0,
            401,
            "no user's token"
        );
    }

    let ticket = s.ticket(ALICE, "Printer on fire").await;
    let urgent = json!({"subject": "Laptop stolen", "description": "at the station", "category": "it", "priority": "urgent"});
    let (status, v) = s
        .call(
            "POST",
            "/api/employee/portal/support",
            Some(BOB),
            Some(urgent),
        )
        .await;
    assert_eq!(status, 201, "{v}");

    // Alice listens on her ticket, Sam on the staff channel.
    let mut alice = Client::connect(addr(&s), "support-key").await;
    let alice_auth = format!("Bearer {ALICE}");
    alice
        .sign_in(
            &format!("private-support.ticket.{ticket}"),
            &[("authorization", &alice_auth)],
        )
        .await;
    let mut sam = Client::connect(addr(&s), "support-key").await;
    let sam_auth = format!("Bearer {SAM}");
    sam.sign_in("private-support.admin", &[("authorization", &sam_auth)])
        .await;

    let before = scrape_until(&s.base, |b| {
        value(b, "support_ws_subscriptions", &[("kind", "admin")]) == 1.0
    })
    .await;
    promtool_accepts(&before);
    assert_eq!(
        value(&before, "support_ws_connections", &[]),
        2.0,
        "{before}"
    );
    for (kind, n) in [
        ("ticket", 1.0),
        ("admin", 1.0),
        ("presence", 0.0),
        ("public", 0.0),
    ] {
        assert_eq!(
            value(&before, "support_ws_subscriptions", &[("kind", kind)]),
            n,
            "{kind}"
        );
    }
    assert!(
        !before.contains(&format!("support.ticket.{ticket}")),
        "no channel name is a label"
    );

    // Alice writes twice; each message reaches her ticket channel and the staff channel.
    let chat = format!("/api/employee/portal/support/{ticket}/chat");
    for text in ["It smokes", "Now it is out"] {
        let (status, v) = s
            .call("POST", &chat, Some(ALICE), Some(json!({"message": text})))
            .await;
        assert_eq!(status, 201, "{v}");
        alice.event("chat.message").await;
        sam.event("message.created").await;
    }
    let extra = drain(&mut alice).await + drain(&mut sam).await;
    let delivered = value(&before, "support_ws_frames_delivered_total", &[]) + 4.0 + extra as f64;
    let after = scrape_until(&s.base, |b| {
        value(b, "support_ws_frames_delivered_total", &[]) >= delivered
    })
    .await;
    promtool_accepts(&after);
    let published = |body: &str, event| {
        value(
            body,
            "support_ws_events_published_total",
            &[("source", "service"), ("event", event)],
        )
    };
    assert_eq!(
        published(&after, "chat.message") - published(&before, "chat.message"),
        2.0
    );
    assert_eq!(
        published(&after, "message.created") - published(&before, "message.created"),
        2.0
    );
    assert_eq!(
        value(&after, "support_ws_frames_delivered_total", &[]),
        delivered
    );
    assert!(
        value(&after, "support_ws_delivery_latency_seconds_count", &[]) >= 4.0,
        "{after}"
    );

    // The route template and status, never the raw path.
    let route = "/api/employee/portal/support/{ticket}/chat";
    assert_eq!(
        value(
            &after,
            "support_http_requests_total",
            &[("method", "POST"), ("route", route), ("status", "201")]
        ),
        2.0,
        "{after}"
    );
    assert!(
        !after.contains(&format!("support/{ticket}/chat")),
        "no raw path"
    );
    assert!(
        value(
            &after,
            "support_http_request_duration_seconds_count",
            &[("method", "POST"), ("route", route)]
        ) == 2.0
    );
    // The store's latency by operation.
    assert!(
        value(
            &after,
            "support_store_operation_duration_seconds_count",
            &[("operation", "append_message")]
        ) >= 2.0
    );

    // The ticket gauges are the dashboard's figures.
    let (status, stats) = s
        .call("GET", "/api/admin/support/stats", Some(SAM), None)
        .await;
    assert_eq!(status, 200, "{stats}");
    let (_, now) = get_metrics(&s.base, Some(TOKEN)).await;
    let stat = |field: &str| stats[field].as_f64().unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(value(&now, "support_tickets_open", &[]), stat("open"));
    assert_eq!(value(&now, "support_tickets_urgent", &[]), stat("urgent"));
    assert_eq!(stat("open"), 2.0);
    assert_eq!(stat("urgent"), 1.0);

    // Closing the sockets: the gauges come back down, the closes are counted.
    let closes = value(&now, "support_ws_closes_total", &[("code", "client")]);
    futures::SinkExt::close(alice.ws()).await.unwrap();
    let one = scrape_until(&s.base, |b| value(b, "support_ws_connections", &[]) == 1.0).await;
    assert_eq!(value(&one, "support_ws_connections", &[]), 1.0, "{one}");
    assert_eq!(
        value(&one, "support_ws_subscriptions", &[("kind", "ticket")]),
        0.0
    );
    futures::SinkExt::close(sam.ws()).await.unwrap();
    let none = scrape_until(&s.base, |b| value(b, "support_ws_connections", &[]) == 0.0).await;
    assert_eq!(value(&none, "support_ws_connections", &[]), 0.0, "{none}");
    assert_eq!(
        value(&none, "support_ws_subscriptions", &[("kind", "admin")]),
        0.0
    );
    assert_eq!(
        value(&none, "support_ws_closes_total", &[("code", "client")]) - closes,
        2.0
    );
    promtool_accepts(&none);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_flag_there_are_no_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    assert_eq!(get_metrics(&s.base, None).await.0, 404);
    assert_eq!(get_metrics(&s.base, Some(TOKEN)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_promtool, ignore = "needs promtool on PATH or PROMTOOL")]
async fn metrics_bind_serves_them_on_a_listener_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &["--metrics-bind", "127.0.0.1:0"]);
    let banner = s.log_lines("  metrics: http://");
    let url = banner
        .first()
        .and_then(|l| l.trim().strip_prefix("metrics: "))
        .and_then(|l| l.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("the banner names the metrics listener: {banner:?}"))
        .to_owned();
    assert_eq!(
        get_metrics(&s.base, None).await.0,
        404,
        "not on the main port"
    );
    let (status, body) = get_metrics(&url, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(value(&body, "support_ws_connections", &[]), 0.0, "{body}");
    assert!(body.contains("# HELP support_ws_connections "), "{body}");
    promtool_accepts(&body);
    // Only /metrics there.
    let other = reqwest::get(format!("{url}/api/employee/portal/support"))
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_the_websocket_layers_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_env(
        dir.path(),
        0,
        &db,
        &["--log-format", "json"],
        &[("RUST_LOG", "info")],
    );
    let ticket = s.ticket(ALICE, "Alice's ticket").await;

    // An unknown app key: refused before the connection counts.
    let mut refused = testing::connect_raw(addr(&s), "no-such-key", "protocol=7").await;
    while testing::next_within(&mut refused, Duration::from_secs(2))
        .await
        .is_some_and(|f| f.get("close").is_none())
    {}

    // Bob asks to sign in to Alice's ticket channel: the auth endpoint refuses; then he
    // subscribes with a made-up signature: the websocket refuses.
    let mut bob = Client::connect(addr(&s), "support-key").await;
    let channel = format!("private-support.ticket.{ticket}");
    let form = format!("socket_id={}&channel_name={channel}", bob.socket_id());
    let bob_auth = format!("Bearer {BOB}");
    let (status, _) = testing::http(
        addr(&s),
        "POST",
        "/broadcasting/auth",
        &[
            ("authorization", &bob_auth),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    testing::subscribe(bob.ws(), &channel, "support-key:0000", None).await;
    let answer = bob.next().await;
    assert_eq!(answer["event"], "pusher:subscription_error", "{answer}");
    assert_eq!(answer["data"]["status"], 401, "{answer}");

    let find = |message| json_line(&s, message);
    let line = find("websocket refused");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["fields"]["reason"], "app_not_found");
    assert_eq!(line["fields"]["code"], 4001);
    assert_eq!(line["fields"]["client"], "127.0.0.1", "{line}");

    let line = find("channel auth refused");
    assert_eq!(line["fields"]["reason"], "forbidden");
    assert_eq!(line["fields"]["channel_kind"], "ticket");
    assert_eq!(line["fields"]["socket_id"], bob.socket_id());

    let line = find("subscription refused");
    assert_eq!(line["fields"]["reason"], "invalid_signature");
    assert_eq!(line["fields"]["channel_kind"], "ticket");
    assert_eq!(line["fields"]["socket_id"], bob.socket_id());
    assert_eq!(line["fields"]["status"], 401);

    let stderr = s.stderr.lock().unwrap().clone();
    assert!(!stderr.is_empty());
    for l in &stderr {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v.is_object(), "{l}");
        // No secret reaches the log: neither the tokens nor the made-up signature.
        for secret in [BOB, "support-key:0000", "support-secret"] {
            assert!(!l.contains(secret), "{l}");
        }
    }
}

#[test]
#[cfg_attr(no_promtool, ignore = "needs promtool on PATH or PROMTOOL")]
fn the_shipped_alerts_pass_promtool() {
    let rules =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/prometheus/alerts.yml");
    let out = Command::new(promtool())
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .expect("promtool");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("SUCCESS: 3 rules found"), "{said}");
}

/// The README's scrape configuration passes `promtool check config` (with the rules file it
/// names beside it, and its token file made up), and the alerts it shows are the shipped file.
#[test]
#[cfg_attr(no_promtool, ignore = "needs promtool on PATH or PROMTOOL")]
fn the_readmes_scrape_config_passes_promtool() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let alerts = std::fs::read_to_string(root.join("docs/prometheus/alerts.yml")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{alerts}```")),
        "the README shows docs/prometheus/alerts.yml as it is"
    );
    let config = readme
        .split("```yaml\nscrape_configs:")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a scrape configuration in the README");
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let config = format!("scrape_configs:{config}").replace(
        "/etc/prometheus/support-metrics-token",
        &token.display().to_string(),
    );
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    std::fs::write(dir.path().join("alerts.yml"), alerts).unwrap();
    let out = Command::new(promtool())
        .args(["check", "config"])
        .arg(dir.path().join("prometheus.yml"))
        .output()
        .expect("promtool");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// On PostgreSQL, with the database cut off for a while: the store's failures are counted by
/// operation and kind, the ticket gauges are unknown rather than stale, and the NOTIFY
/// listener's reconnect is counted and logged once it is back.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn store_errors_and_listener_reconnects_are_counted_on_postgres() {
    let db = Database::create();
    let proxy = Proxy::start(db.server()).await;
    let url = db
        .url()
        .replace(&db.server(), &format!("127.0.0.1:{}", proxy.port));
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_env(
        dir.path(),
        0,
        &url,
        &["--metrics-token", TOKEN, "--log-format", "json"],
        &[("RUST_LOG", "info")],
    );
    let ticket = s.ticket(ALICE, "before the cut").await;
    let (_, before) = get_metrics(&s.base, Some(TOKEN)).await;
    assert_eq!(
        value(&before, "support_bus_listener_reconnects_total", &[]),
        0.0,
        "{before}"
    );
    assert!(before.contains("# HELP support_bus_listener_reconnects_total "));
    let unavailable = [("operation", "stats"), ("kind", "unavailable")];
    assert_eq!(
        value(&before, "support_store_errors_total", &unavailable),
        0.0
    );
    assert_eq!(value(&before, "support_tickets_open", &[]), 1.0);

    // Cut off, the API answers 503; a scrape still answers, with the store's failure counted
    // and the ticket counts unknown (NaN) rather than stale.
    proxy.cut();
    let path = format!("/api/employee/portal/support/{ticket}");
    let mut answered = 0;
    for _ in 0..100 {
        answered = s.call("GET", &path, Some(ALICE), None).await.0;
        if answered == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered, 503);
    let cut = scrape_until(&s.base, |b| value(b, "support_tickets_open", &[]).is_nan()).await;
    assert!(value(&cut, "support_tickets_open", &[]).is_nan(), "{cut}");
    assert!(
        value(&cut, "support_store_errors_total", &unavailable) >= 1.0,
        "{cut}"
    );
    proxy.restore();

    let after = scrape_until(&s.base, |b| {
        value(b, "support_bus_listener_reconnects_total", &[]) >= 1.0
    })
    .await;
    assert_eq!(
        value(&after, "support_bus_listener_reconnects_total", &[]),
        1.0,
        "{after}"
    );
    assert!(value(&after, "support_bus_listener_resyncs_total", &[]) >= 1.0);
    let back = scrape_until(&s.base, |b| value(b, "support_tickets_open", &[]) == 1.0).await;
    assert_eq!(value(&back, "support_tickets_open", &[]), 1.0, "{back}");
    // Lost (how depends on the moment: closed, failed, or stopped answering), at warn.
    let lost = s.stderr.lock().unwrap().iter().any(|l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| {
            v["level"] == "WARN"
                && v["target"] == "support_store_postgres::listener"
                && v["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("NOTIFY listener"))
        })
    });
    assert!(lost, "{:?}", s.stderr.lock().unwrap());
    let line = json_line(&s, "NOTIFY listener reconnected");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["fields"]["reconnects"], 1);
}

#[test]
fn postgres_probe_still_holds() {
    common::postgres_probe_still_holds();
}
