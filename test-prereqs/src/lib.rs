//! What some of the workspace's tests need from the machine, probed when the tests are built,
//! so that a test that cannot run shows as **ignored**, with the reason, instead of passing
//! without having done anything.
//!
//! libtest has no way for a running test to skip itself, so the decision is made at build time:
//! a crate whose tests need a [`Prereq`] has a build script that calls [`configure`], which
//! probes for it and, when it is missing, sets the prerequisite's `cfg` ([`Prereq::cfg`]). The
//! tests carry the matching attribute, with the prerequisite's one-line reason
//! ([`Prereq::reason`]; libtest shows only a literal string, so it is written out):
//!
//! ```text
//! // build.rs, with `test-prereqs` in [build-dependencies]
//! fn main() {
//!     test_prereqs::configure(&[test_prereqs::Prereq::Postgres]);
//! }
//!
//! // tests/some_test.rs
//! #[test]
//! #[cfg_attr(no_postgres, ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL")]
//! fn talks_to_postgres() { /* assumes PostgreSQL answers; fails if it does not */ }
//! ```
//!
//! | prerequisite | found when | `cfg` when missing |
//! |---|---|---|
//! | [`Prereq::Postgres`] | a TCP connection to the host and port of `SUPPORT_TEST_PG_URL` (default [`DEFAULT_POSTGRES_URL`]) opens within half a second | `no_postgres` |
//! | [`Prereq::Chromium`] | `CHROMIUM_PATH` (default `/usr/bin/chromium`) is a file | `no_chromium` |
//! | [`Prereq::Node`] | `node --version` and `npm --version` run | `no_node` |
//! | [`Prereq::Schemathesis`] | `$SCHEMATHESIS --version` (default `st`) runs | `no_schemathesis` |
//! | [`Prereq::Pysher`] | `python3 -c "import pysher"` runs | `no_pysher` |
//! | [`Prereq::PyJwt`] | `python3 -c "import jwt, cryptography"` runs | `no_pyjwt` |
//! | [`Prereq::Moto`] | `python3 -c "import moto.server"` runs | `no_moto` |
//! | [`Prereq::Promtool`] | `$PROMTOOL --version` (default `promtool`) runs | `no_promtool` |
//!
//! A test that runs assumes its prerequisite: if it turns out to be gone, the test fails.
//!
//! # Under CI
//!
//! When [`ci`] is true (the variable `CI` set to anything but empty, `false` or `0`) no `cfg`
//! is ever set: every test runs, so a CI machine that lacks a prerequisite fails those tests
//! instead of passing without them. The build prints a warning naming what is missing.
//!
//! # When the probe runs
//!
//! Cargo re-runs a build script only when it is told to, and a build script that re-runs makes
//! cargo rebuild every target of its package and of every package that depends on it, whatever
//! the script prints: a probe on every build would recompile the stores and the servers on
//! every `cargo test`. So [`configure`] asks to be re-run only when its answer may have changed:
//! when `CI` or the prerequisite's variable changes (`SUPPORT_TEST_PG_URL`, `CHROMIUM_PATH`),
//! and when a test asks for a new probe by touching the package's *recheck stamp* (a file in
//! the build script's `OUT_DIR`, passed to the tests as `TEST_PREREQS_STAMP`).
//!
//! A test asks for one when it finds the machine different from what the build found: each
//! test binary that depends on a prerequisite holds one small test that probes again,
//! [`Prereq::assert_still_as_built`]. If the prerequisite appeared since the build (the tests
//! were ignored although they could run) or disappeared (they will fail), it touches the stamp
//! and fails, saying so; the next `cargo test` probes again and builds the tests accordingly.
//! Setup code that cannot reach a prerequisite the build found calls [`Prereq::gone`], which
//! does the same.

mod build_script;
mod probe;
mod recheck;

pub use build_script::configure;
pub use probe::{
    DEFAULT_POSTGRES_URL, chromium_path, postgres_host_port, postgres_url,
    postgres_url_with_database, promtool_path, schemathesis_path,
};

/// Something a test needs from the machine it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prereq {
    /// A PostgreSQL server at `SUPPORT_TEST_PG_URL`, or [`DEFAULT_POSTGRES_URL`].
    Postgres,
    /// Chromium at `CHROMIUM_PATH`, or `/usr/bin/chromium`.
    Chromium,
    /// Node.js and npm on `PATH`.
    Node,
    /// schemathesis's command line: `SCHEMATHESIS`, or `st` on `PATH`.
    Schemathesis,
    /// The Python Pusher client `pysher`, importable by `python3` on `PATH`.
    Pysher,
    /// PyJWT with `cryptography` (RS256, ES256), importable by `python3` on `PATH`: tokens
    /// signed by an implementation that is not the server's.
    PyJwt,
    /// moto's S3 server (`moto[server]`), importable by `python3` on `PATH`: a real S3 API on
    /// this machine for the attachments' S3 storage.
    Moto,
    /// Prometheus's `promtool` (Debian's `prometheus` package): `PROMTOOL`, or `promtool` on
    /// `PATH`, to check the metrics output and the alerting rules.
    Promtool,
}

impl Prereq {
    /// Every prerequisite.
    pub const ALL: [Prereq; 8] = [
        Prereq::Postgres,
        Prereq::Chromium,
        Prereq::Node,
        Prereq::Schemathesis,
        Prereq::Pysher,
        Prereq::PyJwt,
        Prereq::Moto,
        Prereq::Promtool,
    ];

    /// What it is, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Prereq::Postgres => "PostgreSQL",
            Prereq::Chromium => "Chromium",
            Prereq::Node => "Node.js with npm",
            Prereq::Schemathesis => "schemathesis",
            Prereq::Pysher => "pysher (Python)",
            Prereq::PyJwt => "PyJWT with cryptography (Python)",
            Prereq::Moto => "moto's S3 server (Python)",
            Prereq::Promtool => "promtool (Prometheus)",
        }
    }

    /// The `cfg` a build script sets when it is missing (outside CI).
    pub fn cfg(self) -> &'static str {
        match self {
            Prereq::Postgres => "no_postgres",
            Prereq::Chromium => "no_chromium",
            Prereq::Node => "no_node",
            Prereq::Schemathesis => "no_schemathesis",
            Prereq::Pysher => "no_pysher",
            Prereq::PyJwt => "no_pyjwt",
            Prereq::Moto => "no_moto",
            Prereq::Promtool => "no_promtool",
        }
    }

    /// The one-line reason the tests that need it give in `#[cfg_attr(no_…, ignore = "…")]`:
    /// what is missing, short enough for the attribute to fit on one line ([`Prereq::hint`]
    /// says how to provide it).
    pub fn reason(self) -> &'static str {
        match self {
            Prereq::Postgres => "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL",
            Prereq::Chromium => "needs Chromium at /usr/bin/chromium or CHROMIUM_PATH",
            Prereq::Node => "needs Node.js 20 and npm on PATH",
            Prereq::Schemathesis => "needs schemathesis (st) on PATH or SCHEMATHESIS",
            Prereq::Pysher => "needs python3 on PATH with pysher installed",
            Prereq::PyJwt => "needs python3 on PATH with PyJWT and cryptography installed",
            Prereq::Moto => "needs python3 on PATH with moto[server] installed",
            Prereq::Promtool => "needs promtool on PATH or PROMTOOL",
        }
    }

    /// How to provide it, for messages.
    pub fn hint(self) -> &'static str {
        match self {
            Prereq::Postgres => {
                "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or point SUPPORT_TEST_PG_URL at a server"
            }
            Prereq::Chromium => "install it with `apt-get install chromium`, or set CHROMIUM_PATH",
            Prereq::Node => "install Node.js 20 and npm (`apt-get install nodejs npm`)",
            Prereq::Schemathesis => {
                "install it with `pip install schemathesis==4.32.5`, or set SCHEMATHESIS"
            }
            Prereq::Pysher => "install it with `pip install pysher==1.0.8 websocket-client==1.9.2`",
            Prereq::PyJwt => "install it with `pip install 'PyJWT[crypto]==2.10.1'`",
            Prereq::Moto => "install it with `pip install 'moto[server]==5.2.1'`",
            Prereq::Promtool => {
                "install it with `apt-get install prometheus` (Debian), or set PROMTOOL"
            }
        }
    }

    /// The environment variables that say where to look for it.
    pub fn env_vars(self) -> &'static [&'static str] {
        match self {
            Prereq::Postgres => &["SUPPORT_TEST_PG_URL"],
            Prereq::Chromium => &["CHROMIUM_PATH"],
            Prereq::Node => &[],
            Prereq::Schemathesis => &["SCHEMATHESIS"],
            Prereq::Promtool => &["PROMTOOL"],
            Prereq::Pysher | Prereq::PyJwt | Prereq::Moto => &[],
        }
    }

    /// Looks for it now: `Ok` with where it was found, or `Err` with why it is missing.
    pub fn probe(self) -> Result<String, String> {
        match self {
            Prereq::Postgres => probe::postgres(&postgres_url()),
            Prereq::Chromium => probe::chromium(&chromium_path()),
            Prereq::Node => probe::node(),
            Prereq::Schemathesis => probe::schemathesis(&schemathesis_path()),
            Prereq::Pysher => probe::pysher(),
            Prereq::PyJwt => probe::pyjwt(),
            Prereq::Moto => probe::moto(),
            Prereq::Promtool => probe::promtool(&promtool_path()),
        }
    }
}

/// Whether this is a CI run: `CI` is set to anything but empty, `false` (in any case) or `0`.
/// Under CI a missing prerequisite fails the tests that need it.
pub fn ci() -> bool {
    ci_value(std::env::var_os("CI").as_deref())
}

fn ci_value(value: Option<&std::ffi::OsStr>) -> bool {
    let Some(value) = value else {
        return false;
    };
    let value = value.to_string_lossy();
    let value = value.trim();
    !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn ci_is_set_unless_unset_empty_false_or_zero() {
        assert!(!ci_value(None));
        for off in ["", " ", "0", "false", "FALSE", "False"] {
            assert!(!ci_value(Some(OsStr::new(off))), "{off:?}");
        }
        for on in ["true", "1", "yes", "github-actions"] {
            assert!(ci_value(Some(OsStr::new(on))), "{on:?}");
        }
    }

    #[test]
    fn every_reason_is_one_line_starting_with_needs() {
        for p in Prereq::ALL {
            assert!(p.reason().starts_with("needs "), "{p:?}");
            assert!(!p.reason().contains('\n'), "{p:?}");
            assert!(p.cfg().starts_with("no_"), "{p:?}");
        }
    }

    /// Every `#[cfg_attr(no_…, ignore = "…")]` in the workspace's code gives the reason of
    /// the prerequisite its condition names first: one wording per prerequisite.
    #[test]
    fn every_ignore_in_the_workspace_gives_its_prerequisites_reason() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let mut seen = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (at, _) in text.match_indices("#[cfg_attr(") {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if text[line_start..at].trim_start().starts_with("//") {
                    continue; // documentation
                }
                let attr = &text[at..];
                let attr = &attr[..attr.find(")]").map_or(attr.len(), |end| end + 2)];
                let Some((condition, reason)) = attr.split_once("ignore = \"") else {
                    continue;
                };
                let reason = reason.split('"').next().unwrap();
                let first = condition
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .find(|w| w.starts_with("no_"));
                let Some(prereq) = Prereq::ALL.into_iter().find(|p| Some(p.cfg()) == first) else {
                    continue;
                };
                assert_eq!(reason, prereq.reason(), "in {}", file.display());
                seen += 1;
            }
        }
        assert!(seen > 0, "found no ignored tests under {}", root.display());
    }

    fn rust_files(dir: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if path.is_dir() {
                rust_files(&path, into);
            } else if name.ends_with(".rs") {
                into.push(path);
            }
        }
    }
}
