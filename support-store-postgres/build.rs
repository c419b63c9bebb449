//! Sets `cfg`s for the tests whose prerequisites this machine lacks, so they show as ignored
//! with the reason: PostgreSQL. See the `test-prereqs` crate.

use test_prereqs::Prereq;

fn main() {
    test_prereqs::configure(&[Prereq::Postgres]);
}
