//! The web UI in a real browser: `node --test` runs `tests/e2e/*.test.js`, which start this
//! package's `reference-server` binary and drive Debian's Chromium (`/usr/bin/chromium`, or
//! `CHROMIUM_PATH`) with `playwright-core`, pinned in `tests/e2e/package-lock.json` with the
//! `pusher-js` and `laravel-echo` builds the UI ships.
//!
//! Without Chromium the test fails under `CI` (any value) and otherwise says loudly that it
//! skipped. Screenshots go to `target/screenshots`; `SCREENSHOTS_DIR=docs/screenshots`
//! refreshes the committed set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The same runner as the websocket compatibility tests.
#[path = "../../../support-transport-ws/tests/node/mod.rs"]
mod node;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
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
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let screenshots =
        std::env::var_os("SCREENSHOTS_DIR").unwrap_or_else(|| target.into_os_string());
    let counts = node::run_node_tests(
        &e2e_dir(),
        "playwright-core",
        120_000,
        [
            (
                "SERVER_BIN",
                OsString::from(env!("CARGO_BIN_EXE_reference-server")),
            ),
            ("CHROMIUM_PATH", chromium().into_os_string()),
            ("SCREENSHOTS_DIR", screenshots),
        ],
    );
    assert_eq!(counts.fail, 0);
    assert_eq!(counts.skipped, 0);
    assert!(counts.pass >= 18, "fewer browser tests ran than exist");
}
