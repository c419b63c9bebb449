//! The whole audit trail over the real binary, on SQLite and on PostgreSQL: a full scenario
//! (a failed and a good sign-in, a ticket opened, a message with a file, an internal note,
//! field changes, a reaction taken back, a transcript exported, a user and a token made and
//! revoked, a sign-out) leaves one record per act, with who, from where and when; the admins'
//! log filters, pages and downloads as CSV (formulas kept as text); a ticket's history is
//! staff's, the log admins'; an employee never sees a record.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";
const BOUNDARY: &str = "----audit-test-boundary";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Signs in through the form with `token`: the cookie and the page's CSRF token, or `None`
/// when the sign-in was refused.
async fn sign_in(s: &Server, token: &str) -> Option<(String, String)> {
    let answer = browser()
        .post(format!("{}/login", s.base))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let cookie = answer.headers().get("set-cookie")?.to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let home = answer.headers()["location"].to_str().unwrap().to_owned();
    let html = browser()
        .get(format!("{}{home}", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split(r#"<meta name="csrf-token" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())?
        .to_owned();
    Some((cookie, csrf))
}

fn actions(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect()
}

async fn scenario(s: &Server) {
    // Sign-ins: a wrong token, then Alice's.
    assert!(sign_in(s, "not-a-token-of-anyone").await.is_none());
    let (cookie, csrf) = sign_in(s, ALICE).await.expect("Alice signs in");

    // A ticket with a file and a reply, a note, changes, a reaction put and taken back.
    let t = s.ticket(ALICE, "Audited printer").await;
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"jam.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
    );
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let (st, file) = s
        .raw(
            "POST",
            &format!("{EMP}/{t}/attachments"),
            ALICE,
            &[("content-type", &content_type)],
            body,
        )
        .await;
    assert_eq!(st, 201, "{file}");
    let file: Value = serde_json::from_str(&file).unwrap();
    let file_id = file["data"]["id"].as_i64().unwrap();
    let (st, said) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "It jams, see the file", "attachments": [file_id]})),
        )
        .await;
    assert_eq!(st, 201, "{said}");
    let said = said["data"]["id"].as_i64().unwrap();
    let (st, note) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/comment"),
            Some(SAM),
            Some(json!({"content": "Toner vendor again", "is_internal": true})),
        )
        .await;
    assert_eq!(st, 201);
    let note = note["data"]["id"].as_i64().unwrap();
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some(SAM),
            Some(json!({"status": "in_progress", "assigned_to": 201})),
        )
        .await;
    assert_eq!(st, 200);
    let reactions = format!("{ADM}/{t}/messages/{said}/reactions");
    let (st, _) = s
        .call("POST", &reactions, Some(SAM), Some(json!({"emoji": "👍"})))
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .call(
            "DELETE",
            &format!("{reactions}/%F0%9F%91%8D"),
            Some(SAM),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .call(
            "GET",
            &format!("{ADM}/{t}/transcript?format=txt"),
            Some(SAM),
            None,
        )
        .await;
    assert_eq!(st, 200);

    // Accounts: a user named like a spreadsheet formula, a token made and revoked.
    let (st, user) = s
        .call(
            "POST",
            "/api/admin/users",
            Some(ADA),
            Some(json!({"name": "=HYPERLINK(\"x\")", "email": "nina@example.com", "role": "support"})),
        )
        .await;
    assert_eq!(st, 201, "{user}");
    let nina = user["data"]["id"].as_i64().unwrap();
    let (st, token) = s
        .call(
            "POST",
            &format!("/api/admin/users/{nina}/tokens"),
            Some(ADA),
            Some(json!({"name": "laptop"})),
        )
        .await;
    assert_eq!(st, 201);
    let token_id = token["data"]["id"].as_i64().unwrap();
    let (st, _) = s
        .call(
            "DELETE",
            &format!("/api/admin/tokens/{token_id}"),
            Some(ADA),
            None,
        )
        .await;
    assert_eq!(st, 204);

    // Alice signs out of the browser session.
    let out = browser()
        .post(format!("{}/logout", s.base))
        .header("cookie", &cookie)
        .form(&[("_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);

    // The ticket's history, for staff, oldest first.
    let (st, history) = s
        .call("GET", &format!("{ADM}/{t}/history"), Some(HANA), None)
        .await;
    assert_eq!(st, 200, "{history}");
    let history = history["data"].as_array().unwrap().clone();
    assert_eq!(
        actions(&history),
        [
            "ticket",
            "message.posted",
            "attachment.added",
            "message.posted",
            "ticket",
            "ticket",
            "reaction.added",
            "reaction.removed",
            "transcript.exported",
        ],
        "{history:#?}"
    );
    assert_eq!(history[0]["field"], "created");
    assert_eq!(history[1]["message_id"], said);
    assert_eq!(history[2]["filename"], "jam.pdf");
    assert_eq!(history[2]["attachment_id"], file_id);
    assert_eq!(
        (&history[3]["message_id"], &history[3]["internal"]),
        (&json!(note), &json!(true))
    );
    assert_eq!(
        (&history[4]["field"], &history[4]["after"]),
        (&json!("status"), &json!("in_progress"))
    );
    assert_eq!(
        (&history[5]["field"], &history[5]["after"]),
        (&json!("assigned_to"), &json!(201))
    );
    assert_eq!(history[6]["emoji"], "👍");
    assert_eq!(history[8]["format"], "txt");
    for r in &history {
        assert_eq!(r["origin"], "127.0.0.1", "{r}");
        assert_eq!(r["ticket_id"], t);
        assert!(chrono::DateTime::parse_from_rfc3339(r["at"].as_str().unwrap()).is_ok());
    }
    assert!(
        history[..3]
            .iter()
            .all(|r| r["actor_id"] == 101 && r["actor_name"] == "Alice Employee")
    );
    assert!(history[3..].iter().all(|r| r["actor_id"] == 201));

    // The whole log, newest first, for admins.
    let (st, log) = s
        .call("GET", &format!("{ADM}/audit?limit=100"), Some(ADA), None)
        .await;
    assert_eq!(st, 200, "{log}");
    let log = log["data"].as_array().unwrap().clone();
    let outside: Vec<&Value> = log.iter().filter(|r| r["ticket_id"].is_null()).collect();
    assert_eq!(
        actions(&outside.iter().map(|r| (*r).clone()).collect::<Vec<_>>()),
        [
            "auth.signed_out",
            "token.revoked",
            "token.created",
            "user.created",
            "auth.signed_in",
            "auth.sign_in_failed",
        ]
    );
    let failed = outside[5];
    assert!(failed["actor_id"].is_null());
    assert_eq!(
        (&failed["method"], &failed["reason"]),
        (&json!("token"), &json!("unknown_token"))
    );
    assert_eq!(outside[4]["actor_id"], 101);
    assert_eq!(outside[3]["actor_id"], 202);
    assert_eq!(outside[3]["user_id"], nina);
    assert_eq!(outside[0]["actor_name"], "Alice Employee");
    assert!(
        log.windows(2)
            .all(|w| w[0]["id"].as_i64() > w[1]["id"].as_i64())
    );

    // Filters and pages.
    let (_, only_failed) = s
        .call(
            "GET",
            &format!("{ADM}/audit?action=auth.sign_in_failed"),
            Some(ADA),
            None,
        )
        .await;
    assert_eq!(only_failed["data"].as_array().unwrap().len(), 1);
    let (_, by_sam) = s
        .call("GET", &format!("{ADM}/audit?actor=201"), Some(ADA), None)
        .await;
    assert_eq!(by_sam["data"].as_array().unwrap().len(), 6);
    let (_, on_ticket) = s
        .call("GET", &format!("{ADM}/audit?ticket={t}"), Some(ADA), None)
        .await;
    let mut newest_first = history.clone();
    newest_first.reverse();
    assert_eq!(on_ticket["data"].as_array().unwrap(), &newest_first);
    let mut paged = Vec::new();
    let mut next = String::new();
    loop {
        let (st, page) = s
            .call(
                "GET",
                &format!("{ADM}/audit?limit=4{next}"),
                Some(ADA),
                None,
            )
            .await;
        assert_eq!(st, 200);
        paged.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        log.iter().map(|r| r["id"].clone()).collect::<Vec<_>>()
    );
    let (_, empty) = s
        .call(
            "GET",
            &format!("{ADM}/audit?from=2000-01-01&to=2000-01-31"),
            Some(ADA),
            None,
        )
        .await;
    assert_eq!(empty["data"], json!([]));
    for (query, field) in [
        ("actor=abc", "actor"),
        ("ticket=0", "ticket"),
        ("action=ticket.deleted", "action"),
        ("from=yesterday", "from"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("limit=501", "limit"),
        ("cursor=-3", "cursor"),
        ("format=xml", "format"),
        ("format=", "format"),
        ("actor=", "actor"),
    ] {
        let (st, e) = s
            .call("GET", &format!("{ADM}/audit?{query}"), Some(ADA), None)
            .await;
        assert_eq!(st, 422, "{query}: {e}");
        assert!(e["errors"][field].is_array(), "{query}: {e}");
    }

    // CSV: the same rows, a header, and no cell a spreadsheet would run.
    let res = s
        .http
        .get(format!("{}{ADM}/audit?format=csv", s.base))
        .bearer_auth(ADA)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-log.csv")
    );
    let csv = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "at",
            "actor_id",
            "actor_name",
            "origin",
            "action",
            "ticket_id",
            "detail"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), log.len(), "reading the log records nothing");
    assert!(rows.iter().all(|r| !r[3].starts_with('=')), "{csv}");

    // An employee sees no record: not the history, not the log, and the ticket's activity
    // holds its field changes only.
    let (st, _) = s
        .call("GET", &format!("{ADM}/{t}/history"), Some(ALICE), None)
        .await;
    assert_eq!(st, 403);
    let (st, _) = s
        .call("GET", &format!("{ADM}/audit"), Some(SAM), None)
        .await;
    assert_eq!(st, 403);
    let (st, view) = s
        .call("GET", &format!("{EMP}/{t}"), Some(ALICE), None)
        .await;
    assert_eq!(st, 200);
    let activity = view["data"]["activity"].as_array().unwrap();
    assert!(!activity.is_empty());
    assert!(
        activity
            .iter()
            .all(|e| e.get("field").is_some() && e.get("action").is_none()),
        "{activity:?}"
    );
    assert!(!view.to_string().contains("Toner vendor"));
}

on_both_stores!(every_action_is_in_the_audit_log, scenario);
