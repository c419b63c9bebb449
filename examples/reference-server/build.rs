//! Sets `cfg`s for the tests whose prerequisites this machine lacks, so they show as ignored
//! with the reason: PostgreSQL (the two-node and health tests), Chromium and Node.js (the
//! browser tests), schemathesis (the OpenAPI test), PyJWT (the JWT tests, whose
//! tokens another implementation signs), moto (the attachments' S3 test), promtool (the
//! metrics test, which checks the output and the alerting rules). See the `test-prereqs` crate.

use test_prereqs::Prereq;

fn main() {
    test_prereqs::configure(&[
        Prereq::Postgres,
        Prereq::Chromium,
        Prereq::Node,
        Prereq::Schemathesis,
        Prereq::PyJwt,
        Prereq::Moto,
        Prereq::Promtool,
    ]);
}
