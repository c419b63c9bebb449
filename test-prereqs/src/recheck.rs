//! The recheck stamp: a file the build script tells cargo to watch, which a test touches when
//! the machine no longer matches what the build found, so that the next build probes again.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::{Prereq, ci};

/// The package's stamp in the build script's `OUT_DIR`, created if missing. A new stamp is
/// dated long ago: cargo runs a script again when a watched file is newer than its last run,
/// and this run began before the file was written.
pub(crate) fn stamp_in_out_dir() -> PathBuf {
    let out_dir = std::env::var_os("OUT_DIR").expect("OUT_DIR: configure runs in a build script");
    let stamp = Path::new(&out_dir).join("test-prereqs-recheck");
    if !stamp.exists() {
        let file = File::create(&stamp).expect("the recheck stamp in OUT_DIR");
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1))
            .expect("dating the recheck stamp");
    }
    stamp
}

/// Asks the next build to probe again. Best effort: a test failing for its prerequisite
/// fails whether or not this worked.
fn touch(stamp: &str) {
    if let Ok(file) = File::options().create(true).append(true).open(stamp) {
        let _ = file.set_modified(SystemTime::now());
    }
}

impl Prereq {
    /// For the one test per test binary that checks the build's probe still holds:
    /// `missing_at_build` is `cfg!(no_…)`, `stamp` is `env!("TEST_PREREQS_STAMP")`.
    ///
    /// ```text
    /// #[test]
    /// fn postgres_probe_still_holds() {
    ///     test_prereqs::Prereq::Postgres
    ///         .assert_still_as_built(cfg!(no_postgres), env!("TEST_PREREQS_STAMP"));
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// When the prerequisite is missing now but was found by the build (the tests that need
    /// it fail), or is found now but was missing at the build (they were ignored); it touches
    /// the stamp first, so the next build probes again.
    #[track_caller]
    pub fn assert_still_as_built(self, missing_at_build: bool, stamp: &str) {
        match (missing_at_build, self.probe()) {
            (false, Ok(_)) | (true, Err(_)) => {}
            (false, Err(why)) => self.gone(stamp, &why),
            (true, Ok(found)) => {
                touch(stamp);
                panic!(
                    "{} is here now ({found}) but was missing when these tests were built, so \
                     the tests that need it were ignored. Run the tests again: the next build \
                     probes again and includes them.",
                    self.name()
                );
            }
        }
    }

    /// For a test's setup that cannot reach a prerequisite the build found: touches the stamp
    /// (`env!("TEST_PREREQS_STAMP")`) so the next build probes again, and fails the test,
    /// saying why.
    ///
    /// # Panics
    ///
    /// Always.
    #[track_caller]
    pub fn gone(self, stamp: &str, why: &dyn std::fmt::Display) -> ! {
        touch(stamp);
        let (name, hint) = (self.name(), capitalized(self.hint()));
        if ci() {
            panic!("CI is set and {name} is missing: {why}. {hint}.");
        }
        panic!(
            "{name} was found when these tests were built but is missing now: {why}. {hint}; \
             or run the tests again: the next build probes again, and the tests that need it \
             are ignored while it stays missing."
        );
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_dates_the_stamp_now() {
        let dir = std::env::temp_dir().join(format!("test-prereqs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stamp = dir.join("stamp");
        let old = File::create(&stamp).unwrap();
        old.set_modified(SystemTime::UNIX_EPOCH).unwrap();
        touch(stamp.to_str().unwrap());
        let modified = std::fs::metadata(&stamp).unwrap().modified().unwrap();
        assert!(modified > SystemTime::now() - Duration::from_secs(60));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_prerequisite_that_stays_missing_is_as_built() {
        // Whatever this machine has, an unchanged answer passes and touches nothing.
        let chromium = Prereq::Chromium.probe().is_err();
        Prereq::Chromium.assert_still_as_built(chromium, "/nonexistent/stamp");
    }
}
