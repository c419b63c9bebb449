//! Starts the real `reference-server` binary on a fresh SQLite file with known users.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub(crate) const USERS: &str = r#"
[[user]]
id = 101
name = "Alice Employee"
role = "employee"
token = "alice-token-0123456789"

[[user]]
id = 102
name = "Bob Employee"
role = "employee"
token = "bob-token-0123456789ab"

[[user]]
id = 201
name = "Sam Support"
role = "support"
token = "sam-token-0123456789ab"

[[user]]
id = 202
name = "Ada Admin"
role = "admin"
token = "ada-token-0123456789ab"

[[user]]
id = 203
name = "Hana HR"
role = "hr"
token = "hana-token-0123456789a"
"#;

pub(crate) const ALICE: &str = "alice-token-0123456789";
pub(crate) const BOB: &str = "bob-token-0123456789ab";
pub(crate) const SAM: &str = "sam-token-0123456789ab";
pub(crate) const ADA: &str = "ada-token-0123456789ab";
pub(crate) const HANA: &str = "hana-token-0123456789a";

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) port: u16,
    pub(crate) dir: std::path::PathBuf,
    pub(crate) http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a SQLite file in `dir` and waits for it to listen.
pub(crate) fn start_on(dir: &std::path::Path, port: u16) -> Server {
    let db = format!("sqlite://{}", dir.join("support.db").display());
    start_with_db(dir, port, &db)
}

/// Starts the binary on the database `db` and waits for it to listen.
pub(crate) fn start_with_db(dir: &std::path::Path, port: u16, db: &str) -> Server {
    let users = dir.join("users.toml");
    std::fs::write(&users, USERS).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db,
            "--users",
        ])
        .arg(&users)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the reference-server binary");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").unwrap();
    let addr = first
        .strip_prefix("reference-server listening on http://")
        .expect(&first)
        .to_owned();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let port = addr.rsplit(':').next().unwrap().parse().unwrap();
    Server {
        child,
        base: format!("http://{addr}"),
        port,
        dir: dir.to_owned(),
        // A fresh connection per request: after refusing a body (413) the server closes its
        // side, and a pooled connection could be reused in the instant before that is seen.
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap(),
    }
}

impl Server {
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, String) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(token)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Opens a ticket as `token`; returns its id.
    pub(crate) async fn ticket(&self, token: &str, subject: &str) -> i64 {
        let body = serde_json::json!({"subject": subject, "description": "details", "category": "it", "priority": "high"});
        let (status, v) = self
            .call(
                "POST",
                "/api/employee/portal/support",
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        v["data"]["id"].as_i64().unwrap()
    }
}

/// A fresh database, dropped afterwards; `None` (with a loud notice) when PostgreSQL is not
/// reachable outside CI. Under `CI` its absence fails the test.
pub(crate) struct Database(String);

impl Database {
    pub(crate) fn create() -> Option<Self> {
        let name = format!("refsrv_{}_{}", std::process::id(), fastrand_suffix());
        let created = std::process::Command::new("createdb")
            .args(["-h", "127.0.0.1", "-U", "postgres", &name])
            .status();
        match created {
            Ok(s) if s.success() => Some(Database(name)),
            other => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "PostgreSQL is required under CI: createdb gave {other:?}"
                );
                eprintln!(
                    "\n*** SKIPPED: PostgreSQL at 127.0.0.1:5432 is not reachable (createdb: {other:?}) ***\n"
                );
                None
            }
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.0)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::process::Command::new("dropdb")
            .args(["-h", "127.0.0.1", "-U", "postgres", "--force", &self.0])
            .status();
    }
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}
