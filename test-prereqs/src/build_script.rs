//! What a build script prints to cargo: the `cfg`s, when to run again, the recheck stamp.

use crate::{Prereq, ci, recheck};

/// For a build script: probes each of `prereqs` and tells cargo what the tests need to know.
///
/// It declares every prerequisite's `cfg` (`cargo::rustc-check-cfg`) and sets it for each one
/// that is missing, unless [`ci`] is true: then it prints a warning instead and the tests that
/// need it run and fail. It asks cargo to run the script again when `CI` or a prerequisite's
/// variable ([`Prereq::env_vars`]) changes, or when a test touches the recheck stamp, whose path
/// it passes to the package's targets as the environment variable `TEST_PREREQS_STAMP` (see
/// the [crate docs](crate)).
///
/// # Panics
///
/// Outside a build script (no `OUT_DIR`).
pub fn configure(prereqs: &[Prereq]) {
    let stamp = recheck::stamp_in_out_dir();
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-changed={}", stamp.display());
    println!("cargo::rustc-env=TEST_PREREQS_STAMP={}", stamp.display());
    let ci = ci();
    for &prereq in prereqs {
        println!("cargo::rustc-check-cfg=cfg({})", prereq.cfg());
        for var in prereq.env_vars() {
            println!("cargo::rerun-if-env-changed={var}");
        }
        let Err(why) = prereq.probe() else {
            continue;
        };
        if ci {
            println!(
                "cargo::warning=CI is set and {} is missing ({why}): the tests that need it will fail; {}",
                prereq.name(),
                prereq.hint()
            );
        } else {
            println!("cargo::rustc-cfg={}", prereq.cfg());
        }
    }
}
