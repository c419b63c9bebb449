//! The web UI in a real browser: `node --test` runs `tests/e2e/*.test.js`, which start this
//! package's `reference-server` binary and drive Debian's Chromium (`/usr/bin/chromium`, or
//! `CHROMIUM_PATH`) with `playwright-core`, pinned in `tests/e2e/package-lock.json` with the
//! `pusher-js` and `laravel-echo` builds the UI ships.
//!
//! Without Chromium the test fails under `CI` (any value) and otherwise says loudly that it
//! skipped. Screenshots go to `target/screenshots`; `SCREENSHOTS_DIR=docs/screenshots`
//! refreshes the committed set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// `npm ci` when the pinned packages are not installed yet.
fn install_packages() {
    if e2e_dir().join("node_modules/playwright-core").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(e2e_dir())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "`npm ci` in {} failed ({other:?}): Node.js 20 and npm are needed",
            e2e_dir().display()
        ),
    }
}

#[test]
fn web_ui_in_headless_chromium() {
    if !chromium().exists() {
        let why = format!(
            "Chromium is not at {} (apt-get install chromium, or set CHROMIUM_PATH)",
            chromium().display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("CI is set and the browser tests cannot run: {why}");
        }
        // Straight to the stream: the harness captures eprintln! of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED the browser tests: {why} ***\n"
        );
        return;
    }
    install_packages();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let output = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "--test-concurrency=1",
            "--test-timeout=120000",
        ])
        .current_dir(e2e_dir())
        .env("SERVER_BIN", env!("CARGO_BIN_EXE_reference-server"))
        .env("CHROMIUM_PATH", chromium())
        .env(
            "SCREENSHOTS_DIR",
            std::env::var_os("SCREENSHOTS_DIR").unwrap_or_else(|| target.into_os_string()),
        )
        .output()
        .expect("node must be installed (Node.js 20)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the browser tests failed (see above)"
    );
    let count = |label: &str| -> usize {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("ℹ {label} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` count in the Node output"))
    };
    assert_eq!(count("fail"), 0);
    assert_eq!(count("skipped"), 0);
    assert!(count("pass") >= 18, "fewer browser tests ran than exist");
}
