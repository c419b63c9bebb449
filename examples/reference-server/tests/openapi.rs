//! The real binary against its own OpenAPI document: `schemathesis` (PyPI; `.ci/run` installs
//! the pinned version) reads `/api/openapi.json` and calls every operation with generated
//! requests, valid and invalid, as a staff member and as an employee. No answer may be a 5xx,
//! and every answer must be one the document gives: its status, content type, headers and
//! body schema.
//!
//! How it runs is in `tests/schemathesis.toml` (every check but `positive_data_acceptance`,
//! and why; a fixed seed, one worker, a fixed number of examples per operation, no example
//! database), so that a run by hand is the same run. `SCHEMATHESIS` names another `st`
//! executable. Without schemathesis the build marks the test ignored, with the reason, and
//! under `CI` it runs and fails (the `test-prereqs` crate).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::json;
use test_prereqs::Prereq;

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_schemathesis,
    ignore = "needs schemathesis (st) on PATH or SCHEMATHESIS"
)]
async fn every_answer_matches_the_document_for_staff_and_employees() {
    let version = Prereq::Schemathesis
        .probe()
        .unwrap_or_else(|why| Prereq::Schemathesis.gone(env!("TEST_PREREQS_STAMP"), &why));
    let dir = tempfile::tempdir().unwrap();
    // Rate limits off: schemathesis writes and tries wrong tokens far faster than a person
    // (a 429 would still be an answer the document gives).
    let s = start_unthrottled(dir.path());

    // Ticket 1, the example id of `{ticket}`, is Alice's, with a message and a note: the
    // examples reach a real ticket on both sides, and the stateful phase opens more.
    let t = s.ticket(ALICE, "Login issue").await;
    assert_eq!(t, 1);
    for (path, token, body) in [
        (
            format!("/api/employee/portal/support/{t}/chat"),
            ALICE,
            json!({"message": "Still cannot log in"}),
        ),
        (
            format!("/api/admin/support/{t}/comment"),
            SAM,
            json!({"content": "Checking AD account", "is_internal": true}),
        ),
    ] {
        let (status, v) = s.call("POST", &path, Some(token), Some(body)).await;
        assert_eq!(status, 201, "{path}: {v}");
    }

    // The reference server's document adds the session cookie and its CSRF answer.
    let (status, doc) = s.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["in"],
        "cookie"
    );
    assert_eq!(
        doc["security"],
        json!([{"bearer": []}, {"session": []}]),
        "either way of signing in"
    );
    let patch = &doc["paths"]["/api/admin/support/{ticket}"]["patch"];
    assert!(patch["responses"]["419"].is_object(), "{patch}");
    assert!(
        doc["paths"]["/api/admin/support/{ticket}"]["get"]["responses"]["419"].is_null(),
        "a read is not CSRF-checked"
    );

    // Schemathesis leaves out the operation that serves the document it reads.
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum::<usize>()
        - 1;
    let schema = format!("{}/api/openapi.json", s.base);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    for (who, token) in [("staff", SAM), ("admin", ADA), ("employee", ALICE)] {
        let out = Command::new(test_prereqs::schemathesis_path())
            .current_dir(dir.path())
            .arg("--no-color")
            .arg("--config-file")
            .arg(&config)
            .args(["run", &schema])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .output()
            .expect("schemathesis runs");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "schemathesis ({version}) as {who} found answers the document does not give:\n{report}"
        );
        assert!(
            report.contains(&format!("Tested: {operations}")),
            "every operation was tested as {who}:\n{report}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "schemathesis as {who}: {}",
            report
                .lines()
                .rev()
                .find(|l| l.contains("generated"))
                .unwrap_or_default()
                .trim()
        );
    }
}

#[test]
fn schemathesis_probe_still_holds() {
    Prereq::Schemathesis.assert_still_as_built(cfg!(no_schemathesis), env!("TEST_PREREQS_STAMP"));
}
