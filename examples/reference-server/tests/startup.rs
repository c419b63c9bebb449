//! Start-up and secrets: a network bind refuses the development Pusher secret and unasked-for
//! demo users (no users file, no `--demo` and no account in the database), starts once an
//! admin was created with the `users` CLI, browser sessions are signed with the server's own key (not the Pusher secret),
//! secrets are printed only in demo mode on loopback, and `--allowed-origin` limits the
//! websocket to the origins it names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const USERS: &str = r#"
[[user]]
id = 101
name = "Alice Employee"
role = "employee"
token = "alice-token-0123456789"
"#;

fn server(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reference-server"));
    command.args(args);
    configured(command, dir)
}

/// `command` (the server, or a shell that runs it) in `dir`, with none of the operator's
/// settings from the environment, and its output piped.
fn configured(mut command: Command, dir: &Path) -> Command {
    command
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env_remove("SUPPORT_APP_KEY")
        .env_remove("PUSHER_APP_SECRET")
        .env_remove("SUPPORT_USERS")
        .env_remove("SUPPORT_DEMO")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a server that must refuse to start: its exit status and what it wrote to stderr.
fn refused(args: &[&str], dir: &Path) -> String {
    let mut child = server(args, dir).spawn().unwrap();
    let (tx, rx) = mpsc::channel();
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let text = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server should have exited");
    let status = child.wait().unwrap();
    assert!(!status.success(), "it started: {text}");
    text
}

/// A server that started: the child, its address, and everything it printed at start-up.
struct Running {
    child: Child,
    base: String,
    banner: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn started(args: &[&str], dir: &Path) -> Running {
    let mut child = server(args, dir).stderr(Stdio::inherit()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a line").unwrap();
    let addr = first
        .strip_prefix("reference-server listening on http://")
        .expect(&first)
        .to_owned();
    let mut banner = first.clone();
    // The banner ends with the web UI line, or with the demo users' list after it.
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push('\n');
        banner.push_str(&line);
        if line.contains("web UI") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Running {
        child,
        base: format!("http://{addr}"),
        banner,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Signs Alice in through the sign-in form: the session cookie (`name=value`).
async fn sign_in(base: &str) -> String {
    let answer = client()
        .post(format!("{base}/login"))
        .form(&[("token", "alice-token-0123456789")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let cookie = answer.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// The status of Alice's ticket list with `cookie`.
async fn with_cookie(base: &str, cookie: &str) -> u16 {
    client()
        .get(format!("{base}/api/employee/portal/support"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn a_network_bind_refuses_the_development_pusher_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.toml"), USERS).unwrap();
    let why = refused(
        &[
            "--bind",
            "0.0.0.0:0",
            "--database-url",
            "sqlite://db",
            "--users",
            "users.toml",
        ],
        dir.path(),
    );
    assert!(why.contains("development Pusher secret"), "{why}");
    assert_eq!(why.trim().lines().count(), 1, "one clear line: {why}");
}

#[test]
fn a_network_bind_refuses_demo_users_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--bind",
        "0.0.0.0:0",
        "--database-url",
        "sqlite://db",
        "--app-secret",
        "a-secret-of-our-own-0123456789",
    ];
    let why = refused(&args, dir.path());
    assert!(why.contains("--demo"), "{why}");

    // Asked for: it starts, and still does not print the demo tokens or the secret.
    let mut demo = args.to_vec();
    demo.push("--demo");
    let running = started(&demo, dir.path());
    assert!(
        !running.banner.contains("a-secret-of-our-own"),
        "{}",
        running.banner
    );
}

#[test]
fn a_network_bind_starts_without_a_users_file_once_an_admin_exists() {
    let dir = tempfile::tempdir().unwrap();
    let add = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args([
            "users",
            "add",
            "--name",
            "Olga Owner",
            "--email",
            "olga@example.com",
            "--role",
            "admin",
            "--database-url",
            "sqlite://db",
        ])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let running = started(
        &[
            "--bind",
            "0.0.0.0:0",
            "--database-url",
            "sqlite://db",
            "--app-secret",
            "a-secret-of-our-own-0123456789",
        ],
        dir.path(),
    );
    // No demo users: nothing of them in the banner.
    assert!(!running.banner.contains("demo users"), "{}", running.banner);
}

#[tokio::test]
async fn allowed_origins_are_the_only_ones_the_websocket_accepts() {
    use support_transport_ws::testing::{connect_raw_from, next};
    let dir = tempfile::tempdir().unwrap();
    let running = started(
        &[
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            "sqlite::memory:",
            "--allowed-origin",
            "https://help.example.com",
            "--allowed-origin",
            "https://intranet.example.com",
        ],
        dir.path(),
    );
    let addr = running
        .base
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap();
    for (origin, event) in [
        ("https://help.example.com", "pusher:connection_established"),
        (
            "https://intranet.example.com",
            "pusher:connection_established",
        ),
        ("https://evil.example", "pusher:error"),
    ] {
        let mut ws = connect_raw_from(addr, "support-key", "protocol=7", origin).await;
        let first = next(&mut ws).await;
        assert_eq!(first["event"], event, "{origin}: {first}");
        if event == "pusher:error" {
            assert_eq!(first["data"]["code"], 4009, "{first}");
        }
    }
}

#[tokio::test]
async fn sessions_are_signed_with_the_servers_own_key_not_the_pusher_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.toml"), USERS).unwrap();
    let run = |secret: &'static str| {
        started(
            &[
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                "sqlite://support.db",
                "--users",
                "users.toml",
                "--app-secret",
                secret,
            ],
            dir.path(),
        )
    };

    let first = run("first-pusher-secret-0123456789");
    let key_file = dir.path().join("support.db.app-key");
    assert!(
        key_file.is_file(),
        "the key is generated beside the database"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner may read the key file");
    }
    let cookie = sign_in(&first.base).await;
    assert_eq!(with_cookie(&first.base, &cookie).await, 200);
    drop(first);

    // Another Pusher secret, the same session key: still signed in.
    let second = run("second-pusher-secret-012345678");
    assert_eq!(with_cookie(&second.base, &cookie).await, 200);
    drop(second);

    // The same Pusher secret as before, a new session key: signed out.
    std::fs::remove_file(&key_file).unwrap();
    let third = run("second-pusher-secret-012345678");
    assert_eq!(with_cookie(&third.base, &cookie).await, 401);
}

#[test]
fn secrets_are_printed_only_in_demo_mode_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.toml"), USERS).unwrap();
    let with_users = started(
        &[
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            "sqlite::memory:",
            "--users",
            "users.toml",
            "--app-secret",
            "a-secret-of-our-own-0123456789",
        ],
        dir.path(),
    );
    assert!(
        !with_users.banner.contains("a-secret-of-our-own"),
        "{}",
        with_users.banner
    );
    assert!(
        with_users.banner.contains("secret=(not shown)"),
        "{}",
        with_users.banner
    );

    let demo = started(
        &["--bind", "127.0.0.1:0", "--database-url", "sqlite::memory:"],
        dir.path(),
    );
    assert!(
        demo.banner.contains("secret=support-secret"),
        "{}",
        demo.banner
    );
}

/// The soft and hard open-files limits of process `pid`, from `/proc/{pid}/limits`.
fn open_files_limits(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut numbers = line
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

#[test]
fn the_open_files_limit_is_raised_to_the_hard_limit() {
    // Started the way a login shell often starts it: a soft limit of 1,024 files, far below
    // the connections one node holds (each takes one), under a higher hard limit.
    let (_, hard) = open_files_limits(std::process::id());
    if hard <= 1024 {
        eprintln!("the hard limit here is {hard}: nothing to raise");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_reference-server");
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(r#"ulimit -Sn 1024 && exec "$0" "$@""#)
        .arg(binary)
        .args(["--bind", "127.0.0.1:0", "--database-url", "sqlite::memory:"]);
    let mut child = configured(shell, dir.path())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("web UI") {
            break;
        }
    }
    let limits = open_files_limits(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(limits, (hard, hard), "soft limit raised to the hard one");
    assert!(
        banner.contains(&format!("open files: {hard}")),
        "the banner says it: {banner}"
    );
}
