//! Sets `cfg`s for the tests whose prerequisites this machine lacks, so they show as ignored
//! with the reason: PostgreSQL. See the `test-prereqs` crate. And rebuilds the crate when a
//! migration is added or changed: `sqlx::migrate!` embeds them at build time, and cargo does
//! not see the directory otherwise (sqlx's documented build script).

use test_prereqs::Prereq;

fn main() {
    println!("cargo::rerun-if-changed=migrations");
    test_prereqs::configure(&[Prereq::Postgres]);
}
