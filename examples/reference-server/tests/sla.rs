//! SLA clocks and reports over the real binary: ticket objects carry their due times and first
//! response; `sla.breached` reaches a websocket client on the staff channel once per ticket
//! and clock (also with two nodes sweeping one PostgreSQL database); the report answers JSON
//! and CSV to staff only and refuses bad ranges in Laravel's shape; a bad `--sla` file stops
//! the server with the key at fault.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use support_transport_ws::testing::{Client, next_within};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

/// Urgent tickets must be answered within 2 s and solved within 3 s; checked every second.
const FAST: &str = "[urgent]\nfirst_response = \"2s\"\nresolution = 3\n";

fn fast_server(dir: &std::path::Path, db: &str) -> Server {
    let file = dir.join("sla.toml");
    std::fs::write(&file, FAST).unwrap();
    start_with_args(
        dir,
        0,
        db,
        &["--sla", file.to_str().unwrap(), "--sla-sweep-every", "1s"],
    )
}

async fn open(s: &Server, priority: &str) -> Value {
    let body = json!({"subject": "Printer on fire", "description": "Smoke", "category": "facilities", "priority": priority});
    let (st, v) = s.call("POST", EMP, Some(ALICE), Some(body)).await;
    assert_eq!(st, 201, "{v}");
    v["data"].clone()
}

async fn admin_socket(s: &Server) -> Client {
    let addr: SocketAddr = format!("127.0.0.1:{}", s.port).parse().unwrap();
    let mut client = Client::connect(addr, "support-key").await;
    client
        .sign_in(
            "private-support.admin",
            &[("authorization", &format!("Bearer {SAM}"))],
        )
        .await;
    client
}

/// Every `sla.breached` the client receives within `window`.
async fn breaches(client: &mut Client, window: Duration) -> Vec<Value> {
    let until = tokio::time::Instant::now() + window;
    let mut found = Vec::new();
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return found;
        }
        let Some(frame) = next_within(client.ws(), left).await else {
            return found;
        };
        assert!(frame.get("close").is_none(), "closed: {frame}");
        if frame["event"] == "sla.breached" {
            found.push(serde_json::from_str(frame["data"].as_str().unwrap()).unwrap());
        }
    }
}

fn ts(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ticket_objects_carry_due_times_and_the_first_response() {
    let dir = tempfile::tempdir().unwrap();
    let s = fast_server(
        dir.path(),
        &format!("sqlite://{}", dir.path().join("s.db").display()),
    );
    let t = open(&s, "high").await;
    let id = t["id"].as_i64().unwrap();
    let created = ts(&t["created_at"]);
    // The defaults for high: 4 h and 24 h.
    assert_eq!(
        ts(&t["sla"]["first_response_due"]) - created,
        chrono::TimeDelta::hours(4)
    );
    assert_eq!(
        ts(&t["sla"]["resolution_due"]) - created,
        chrono::TimeDelta::hours(24)
    );
    assert_eq!(t["sla"]["breached"], false);
    assert_eq!(t["first_response_at"], Value::Null);

    // A note does not count; the public reply does.
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{id}/comment"),
            Some(SAM),
            Some(json!({"content": "hm", "is_internal": true})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, v) = s.call("GET", &format!("{ADM}/{id}"), Some(SAM), None).await;
    assert_eq!(st, 200);
    assert_eq!(v["data"]["ticket"]["first_response_at"], Value::Null, "{v}");
    let (st, reply) = s
        .call(
            "POST",
            &format!("{ADM}/{id}/chat"),
            Some(SAM),
            Some(json!({"message": "On my way"})),
        )
        .await;
    assert_eq!(st, 201);
    let (_, v) = s
        .call("GET", &format!("{EMP}/{id}"), Some(ALICE), None)
        .await;
    assert_eq!(
        v["data"]["ticket"]["first_response_at"], reply["data"]["created_at"],
        "{v}"
    );

    // Urgent moves both due times to the file's 2 s and 3 s.
    let (st, v) = s
        .call(
            "PATCH",
            &format!("{ADM}/{id}"),
            Some(SAM),
            Some(json!({"priority": "urgent"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let sla = &v["data"]["sla"];
    assert_eq!(
        ts(&sla["first_response_due"]) - created,
        chrono::TimeDelta::seconds(2),
        "{v}"
    );
    assert_eq!(
        ts(&sla["resolution_due"]) - created,
        chrono::TimeDelta::seconds(3)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_breach_reaches_the_staff_channel_once_per_clock() {
    let dir = tempfile::tempdir().unwrap();
    let s = fast_server(
        dir.path(),
        &format!("sqlite://{}", dir.path().join("s.db").display()),
    );
    let mut staff = admin_socket(&s).await;
    let t = open(&s, "urgent").await;
    let got = breaches(&mut staff, Duration::from_secs(6)).await;
    let clocks: Vec<&str> = got.iter().map(|b| b["clock"].as_str().unwrap()).collect();
    assert_eq!(clocks, ["first_response", "resolution"], "{got:?}");
    for b in &got {
        assert_eq!(b["ticket_id"], t["id"]);
        assert_eq!(b["ticket_number"], t["ticket_number"]);
        assert_eq!(b["priority"], "urgent");
    }
    assert_eq!(got[0]["due_at"], t["sla"]["first_response_due"]);
    assert_eq!(got[1]["due_at"], t["sla"]["resolution_due"]);
    let (_, v) = s
        .call("GET", &format!("{ADM}/{}", t["id"]), Some(SAM), None)
        .await;
    assert_eq!(v["data"]["ticket"]["sla"]["breached"], true, "{v}");
    // Nothing more in the next sweeps.
    assert_eq!(
        breaches(&mut staff, Duration::from_secs(2)).await,
        Vec::<Value>::new()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn two_nodes_sweeping_one_database_send_each_breach_once() {
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let a = fast_server(dir.path(), &db.url());
    let b = fast_server(dir.path(), &db.url());
    let mut on_a = admin_socket(&a).await;
    let mut on_b = admin_socket(&b).await;
    let mut opened = Vec::new();
    for _ in 0..5 {
        opened.push(open(&a, "urgent").await["id"].as_i64().unwrap());
    }
    let (got_a, got_b) = tokio::join!(
        breaches(&mut on_a, Duration::from_secs(7)),
        breaches(&mut on_b, Duration::from_secs(7))
    );
    for got in [&got_a, &got_b] {
        let mut seen: Vec<(i64, String)> = got
            .iter()
            .map(|b| {
                (
                    b["ticket_id"].as_i64().unwrap(),
                    b["clock"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        seen.sort();
        let mut expected: Vec<(i64, String)> = opened
            .iter()
            .flat_map(|id| {
                [
                    (*id, "first_response".to_owned()),
                    (*id, "resolution".to_owned()),
                ]
            })
            .collect();
        expected.sort();
        assert_eq!(
            seen, expected,
            "each node's clients get every breach exactly once"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_answer_json_and_csv_to_staff_and_refuse_bad_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let t = s.ticket(ALICE, "report me").await;
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some(SAM),
            Some(json!({"assigned_to": 201})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/chat"),
            Some(SAM),
            Some(json!({"message": "Fixed"})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some(SAM),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(st, 200);
    let today = chrono::Utc::now().date_naive().to_string();

    let (st, v) = s
        .call(
            "GET",
            &format!("{ADM}/reports?group_by=agent"),
            Some(ADA),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["to"], today.as_str());
    assert_eq!(v["timezone"], "UTC");
    assert_eq!(v["groups"][0]["key"], "201");
    assert_eq!(v["groups"][0]["label"], "Sam Support");
    assert_eq!(v["groups"][0]["created"], 1);
    assert_eq!(v["groups"][0]["resolved"], 1);
    let fr = v["groups"][0]["first_response"]["median_s"]
        .as_i64()
        .unwrap();
    assert!((0..60).contains(&fr), "{v}");
    assert_eq!(v["total"]["created"], 1);

    let (st, v) = s
        .call(
            "GET",
            &format!("{ADM}/reports?from={today}&to={today}"),
            Some(SAM),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["groups"].as_array().unwrap().len(), 1);
    assert_eq!(v["groups"][0]["key"], today.as_str());
    assert_eq!(v["groups"][0]["created"], 1);

    // The same as CSV, as a download.
    let res = s
        .http
        .get(format!(
            "{}{ADM}/reports?group_by=agent&format=csv&from={today}&to={today}",
            s.base
        ))
        .bearer_auth(SAM)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"support-report-agent-{today}-{today}.csv\"").as_str()
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "group,label,created,resolved,first_response_median_s,first_response_p90_s,resolution_median_s,resolution_p90_s,sla_breaches"
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].starts_with(&format!("201,Sam Support,1,1,{fr},{fr},")),
        "{text}"
    );

    // Staff only.
    let (st, _) = s
        .call("GET", &format!("{ADM}/reports"), Some(ALICE), None)
        .await;
    assert_eq!(st, 403);

    // Bad input: 422, every field at fault named.
    for (query, fields) in [
        ("from=2026-02-30", vec!["from"]),
        ("from=yesterday&to=2026-13-01", vec!["from", "to"]),
        ("from=2026-03-02&to=2026-03-01", vec!["from"]),
        ("from=2024-01-01&to=2026-01-01", vec!["to"]),
        ("group_by=week&format=xml", vec!["format", "group_by"]),
    ] {
        let (st, v) = s
            .call("GET", &format!("{ADM}/reports?{query}"), Some(SAM), None)
            .await;
        assert_eq!(st, 422, "{query}: {v}");
        assert!(v["message"].is_string(), "{v}");
        let named: Vec<&str> = v["errors"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(named, fields, "{query}: {v}");
    }
}

#[test]
fn a_bad_sla_file_stops_the_server_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sla.toml");
    std::fs::write(&file, "[urgent]\nfirst_response = \"soon\"\n").unwrap();
    let users = dir.path().join("users.toml");
    std::fs::write(&users, USERS).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["--bind", "127.0.0.1:0", "--database-url"])
        .arg(format!("sqlite://{}", dir.path().join("s.db").display()))
        .arg("--users")
        .arg(&users)
        .arg("--app-key-file")
        .arg(dir.path().join("app.key"))
        .arg("--sla")
        .arg(&file)
        .env_remove("SUPPORT_SLA")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`urgent.first_response`"), "{stderr}");
    assert!(stderr.contains("sla.toml"), "{stderr}");
}
