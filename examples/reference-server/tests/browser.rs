//! The web UI in a real browser: `node --test` runs `tests/e2e/*.test.js`, which start this
//! package's `reference-server` binary and drive Debian's Chromium (`/usr/bin/chromium`, or
//! `CHROMIUM_PATH`) with `playwright-core`, pinned in `tests/e2e/package-lock.json` with the
//! `pusher-js` and `laravel-echo` builds the UI ships.
//!
//! It needs Chromium and Node.js with npm: without either it shows as ignored, saying which
//! (`build.rs` sets `no_chromium` / `no_node`), and under `CI` it runs and fails. Screenshots
//! go to `target/screenshots`; `SCREENSHOTS_DIR=docs/screenshots` refreshes the committed set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The same runner as the websocket compatibility tests.
#[path = "../../../support-transport-ws/tests/node/mod.rs"]
mod node;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use test_prereqs::Prereq;

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

#[test]
#[cfg_attr(
    no_chromium,
    ignore = "needs Chromium at /usr/bin/chromium or CHROMIUM_PATH"
)]
#[cfg_attr(
    all(no_node, not(no_chromium)),
    ignore = "needs Node.js 20 and npm on PATH"
)]
fn web_ui_in_headless_chromium() {
    if let Err(why) = Prereq::Chromium.probe() {
        Prereq::Chromium.gone(env!("TEST_PREREQS_STAMP"), &why);
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
            (
                "CHROMIUM_PATH",
                test_prereqs::chromium_path().into_os_string(),
            ),
            ("SCREENSHOTS_DIR", screenshots),
        ],
    );
    assert_eq!(counts.fail, 0);
    assert_eq!(counts.skipped, 0);
    assert!(counts.pass >= 18, "fewer browser tests ran than exist");
}

#[test]
fn chromium_probe_still_holds() {
    Prereq::Chromium.assert_still_as_built(cfg!(no_chromium), env!("TEST_PREREQS_STAMP"));
}
