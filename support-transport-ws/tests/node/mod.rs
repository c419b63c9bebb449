//! Runs a folder of `node --test` tests whose npm packages are pinned in its
//! `package-lock.json`: this crate's compatibility tests, and (included by path) the reference
//! server's browser tests. Both crates' `build.rs` set `no_node` when the build finds no
//! Node.js or npm, and the tests that call this carry
//! `#[cfg_attr(no_node, ignore = "…")]`.

#![allow(dead_code, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use test_prereqs::Prereq;

/// The counts the spec reporter ends with ("ℹ pass N", "ℹ fail N", "ℹ skipped N").
pub(crate) struct Counts {
    pub(crate) pass: usize,
    pub(crate) fail: usize,
    pub(crate) skipped: usize,
}

/// `npm ci` in `dir` unless `node_modules/{marker}` is installed, then `node --test` there,
/// one file at a time, each test allowed `timeout_ms`, with `env` added. Prints the output
/// and fails the test if node does.
pub(crate) fn run_node_tests<K, V>(
    dir: &Path,
    marker: &str,
    timeout_ms: u32,
    env: impl IntoIterator<Item = (K, V)>,
) -> Counts
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    if let Err(why) = Prereq::Node.probe() {
        Prereq::Node.gone(env!("TEST_PREREQS_STAMP"), &why);
    }
    if !dir.join("node_modules").join(marker).exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "`npm ci` in {} failed ({other:?}): Node.js 20 and npm are needed",
                dir.display()
            ),
        }
    }
    let output = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "--test-concurrency=1",
            &format!("--test-timeout={timeout_ms}"),
        ])
        .current_dir(dir)
        .envs(env)
        .output()
        .expect("node must be installed (Node.js 20)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the Node tests in {} failed (see above)",
        dir.display()
    );
    let count = |label: &str| -> usize {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("ℹ {label} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` count in the Node output"))
    };
    Counts {
        pass: count("pass"),
        fail: count("fail"),
        skipped: count("skipped"),
    }
}

/// In every test binary that runs Node tests: the build's probe for Node.js still holds.
#[test]
fn node_probe_still_holds() {
    Prereq::Node.assert_still_as_built(cfg!(no_node), env!("TEST_PREREQS_STAMP"));
}
