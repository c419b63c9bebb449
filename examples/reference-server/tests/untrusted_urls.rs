//! URLs that come from clients lead nowhere else: the sign-in page's `next` only to a path on
//! this site; an attachment's URL is never a client's (a message names uploads by id).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    // `/%09/evil.example` is what the query gives as "/\t/evil.example": browsers drop the
    // tab and go to //evil.example.
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
    ] {
        let page = client()
            .get(format!("{}/login", s.base))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        let html = page.text().await.unwrap();
        assert!(!html.contains("evil.example"), "{next:?} kept in the page");

        let answer = client()
            .post(format!("{}/login", s.base))
            .form(&[("token", ALICE), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303);
        assert_eq!(
            answer.headers()["location"],
            "/employee/portal/support",
            "{next:?} goes home"
        );
    }
    // A path on this site is kept.
    let answer = client()
        .post(format!("{}/login", s.base))
        .form(&[
            ("token", ALICE),
            ("next", "/employee/portal/support/create"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["location"],
        "/employee/portal/support/create"
    );
}

#[tokio::test]
async fn attachment_metadata_a_client_invents_is_refused_on_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let ticket = s.ticket(ALICE, "file").await;
    let path = format!("/api/employee/portal/support/{ticket}/comment");
    // A message names uploads by id; a URL (a script one least of all) is never taken from
    // the client.
    for url in [
        "javascript:alert(document.cookie)",
        "https://files.example/report.html",
    ] {
        let body = json!({"content": "see the file", "attachments": [
            {"name": "report.html", "url": url, "content_type": "text/html", "size": 10}
        ]});
        let (status, body) = s.call("POST", &path, Some(ALICE), Some(body)).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["message"].is_string(), "{body}");
        let errors = body["errors"]["attachments.0"].as_array().expect("{body}");
        assert!(!errors.is_empty(), "{body}");
    }
}
