//! Starts the real `reference-server` binary on a fresh SQLite file with known users.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use test_prereqs::Prereq;

mod pg_proxy;
#[allow(unused_imports)] // not every test binary cuts a database off
pub(crate) use pg_proxy::Proxy;

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
    /// What the server has written after its first line (its log, on stdout) and to stderr
    /// so far, line by line; stderr's lines are passed on to the test's stderr too.
    pub(crate) log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// What the server has written to stderr so far, line by line (also in `log`).
    pub(crate) stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
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
    start_with_args(dir, port, db, &[])
}

/// Starts the binary on a SQLite file in `dir` with its rate limits off: for tests that
/// write (or fail to sign in) faster than a person could.
pub(crate) fn start_unthrottled(dir: &std::path::Path) -> Server {
    let db = format!("sqlite://{}", dir.join("support.db").display());
    start_with_args(dir, 0, &db, &["--no-rate-limits"])
}

/// Starts the binary on the database `db` with `extra` flags and waits for it to listen.
pub(crate) fn start_with_args(
    dir: &std::path::Path,
    port: u16,
    db: &str,
    extra: &[&str],
) -> Server {
    start_with_env(dir, port, db, extra, &[])
}

/// [`start_with_args`] with environment variables `env` set for the server.
pub(crate) fn start_with_env(
    dir: &std::path::Path,
    port: u16,
    db: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Server {
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
        // Beside the test's files, whatever the database (PostgreSQL's default is the
        // working directory).
        .arg("--app-key-file")
        .arg(dir.join("app.key"))
        .args(extra)
        // Quiet unless a test asks for more (`env` may set `RUST_LOG`).
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the reference-server binary");
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stderr_lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stderr = child.stderr.take().unwrap();
    let (kept, kept_stderr) = (log.clone(), stderr_lines.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            kept_stderr.lock().unwrap().push(line.clone());
            kept.lock().unwrap().push(line);
        }
    });
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").unwrap();
    let addr = first
        .strip_prefix("reference-server listening on http://")
        .expect(&first)
        .to_owned();
    // Keep draining stdout so the server never blocks on a full pipe; its log lines (tracing
    // writes to stdout) are kept with stderr's.
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
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
        log,
        stderr: stderr_lines,
    }
}

impl Server {
    /// The lines of the server's log that contain `needle`, waiting up to two seconds for
    /// one to appear.
    pub(crate) fn log_lines(&self, needle: &str) -> Vec<String> {
        for _ in 0..40 {
            let found: Vec<String> = (self.log.lock().unwrap().iter())
                .filter(|l| l.contains(needle))
                .cloned()
                .collect();
            if !found.is_empty() {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Vec::new()
    }

    /// The whole log so far.
    pub(crate) fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

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

/// A fresh database on the tests' PostgreSQL server (`SUPPORT_TEST_PG_URL`, or
/// `127.0.0.1:5432`), dropped afterwards. The tests that use it carry
/// `#[cfg_attr(no_postgres, ignore = "…")]`, which `build.rs` sets when the build finds no
/// server; if it is gone anyway, they fail.
pub(crate) struct Database {
    admin: String,
    name: String,
}

impl Database {
    pub(crate) fn create() -> Self {
        let admin = test_prereqs::postgres_url();
        let name = format!("refsrv_{}_{}", std::process::id(), fastrand_suffix());
        let created = Command::new("createdb")
            .arg(format!("--maintenance-db={admin}"))
            .arg(&name)
            .output()
            .expect("createdb (Debian's postgresql-client) must be installed");
        if !created.status.success() {
            let why = format!(
                "createdb at {admin}: {}",
                String::from_utf8_lossy(&created.stderr).trim()
            );
            Prereq::Postgres.gone(env!("TEST_PREREQS_STAMP"), &why);
        }
        Database { admin, name }
    }

    pub(crate) fn url(&self) -> String {
        test_prereqs::postgres_url_with_database(&self.admin, &self.name)
    }

    /// The server's `host:port`, as the URLs spell it.
    pub(crate) fn server(&self) -> String {
        let (host, port) =
            test_prereqs::postgres_host_port(&self.admin).expect("a postgres:// URL");
        let server = format!("{host}:{port}");
        assert!(
            self.admin.contains(&server),
            "SUPPORT_TEST_PG_URL must spell out host:port for the proxy tests"
        );
        server
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("dropdb")
            .arg(format!("--maintenance-db={}", self.admin))
            .args(["--force", &self.name])
            .status();
    }
}

/// In the test binaries that need PostgreSQL: the build's probe for it still holds.
pub(crate) fn postgres_probe_still_holds() {
    Prereq::Postgres.assert_still_as_built(cfg!(no_postgres), env!("TEST_PREREQS_STAMP"));
}

/// One scenario on both stores: `on_both_stores!(name, scenario)` makes the module `name`
/// with two tests, `on_sqlite` and `on_postgres`, each starting the server with its rate
/// limits off on a fresh database of its own and awaiting `scenario(&server)` (an
/// `async fn(&Server)` of the calling file). The PostgreSQL one follows the prerequisite rules:
/// ignored when the build found no PostgreSQL, failing if it found one that is gone.
#[allow(unused_macros)] // not every test binary has a scenario for both stores
macro_rules! on_both_stores {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn on_sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let s = crate::common::start_unthrottled(dir.path());
                super::$scenario(&s).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            #[cfg_attr(
                no_postgres,
                ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
            )]
            async fn on_postgres() {
                crate::common::postgres_probe_still_holds();
                let db = crate::common::Database::create();
                let dir = tempfile::tempdir().unwrap();
                let s =
                    crate::common::start_with_args(dir.path(), 0, &db.url(), &["--no-rate-limits"]);
                super::$scenario(&s).await;
            }
        }
    };
}
#[allow(unused_imports)] // not every test binary has a scenario for both stores
pub(crate) use on_both_stores;

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

/// What a `reference-server …` command did: its exit success, stdout and stderr.
pub(crate) struct Ran {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `reference-server {args} --database-url {db}` with `stdin` on its standard input.
pub(crate) fn command(db: &str, args: &[&str], stdin: &str) -> Ran {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(args)
        .args(["--database-url", db])
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the reference-server binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Ran {
        ok: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Like [`command`], and it must succeed: its stdout, trimmed.
pub(crate) fn command_ok(db: &str, args: &[&str], stdin: &str) -> String {
    let ran = command(db, args, stdin);
    assert!(ran.ok, "{args:?}: {}", ran.stderr);
    ran.stdout.trim().to_owned()
}

// ----- websockets ------------------------------------------------------------------------

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A websocket connected as `token` and subscribed to the ticket's private channel through
/// `/broadcasting/auth`.
pub(crate) async fn ticket_socket(s: &Server, token: &str, ticket: i64) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{}/app/support-key?protocol=7",
        s.port
    ))
    .await
    .unwrap();
    let hello = next_event(&mut ws).await;
    let data: serde_json::Value = serde_json::from_str(hello["data"].as_str().unwrap()).unwrap();
    let socket = data["socket_id"].as_str().unwrap().to_owned();
    let channel = format!("private-support.ticket.{ticket}");
    let res = s
        .http
        .post(format!("{}/broadcasting/auth", s.base))
        .bearer_auth(token)
        .form(&[
            ("socket_id", socket.as_str()),
            ("channel_name", channel.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let auth: serde_json::Value = res.json().await.unwrap();
    let data = serde_json::json!({
        "channel": channel,
        "auth": auth["auth"],
        "channel_data": auth["channel_data"],
    });
    let frame = serde_json::json!({"event": "pusher:subscribe", "data": data});
    let frame = tokio_tungstenite::tungstenite::Message::Text(frame.to_string().into());
    futures::SinkExt::send(&mut ws, frame).await.unwrap();
    assert_eq!(
        next_event(&mut ws).await["event"],
        "pusher_internal:subscription_succeeded"
    );
    ws
}

/// The next text frame, parsed; fails the test after 10 s without one.
pub(crate) async fn next_event(ws: &mut Ws) -> serde_json::Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(ws))
            .await
            .expect("a frame in 10 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = frame {
            return serde_json::from_str(&t).unwrap();
        }
    }
}
