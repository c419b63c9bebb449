//! Transcripts over the real binary, on SQLite and on PostgreSQL: each side downloads the whole
//! conversation as text, JSON or a print-friendly page; an employee's transcript never holds an
//! internal note, in any format; the page escapes what users wrote and runs no script.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";
const NOTE: &str = "Internal: the VPN contract lapsed, do not tell the user yet";

/// A transcript download: status, headers and body.
async fn download(
    s: &Server,
    token: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let res = s
        .http
        .get(format!("{}{path}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

async fn scenario(s: &Server) {
    let t = s.ticket(ALICE, "VPN <drops> & more").await;
    let (st, _) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "It drops <script>alert(1)</script> every hour"})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some(SAM),
            Some(json!({"assigned_to": 201})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/comment"),
            Some(SAM),
            Some(json!({"content": NOTE, "is_internal": true})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/chat"),
            Some(SAM),
            Some(json!({"message": "Restart the client, please"})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some(SAM),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(st, 200);
    let (_, v) = s
        .call("GET", &format!("{EMP}/{t}"), Some(ALICE), None)
        .await;
    let number = v["data"]["ticket"]["ticket_number"]
        .as_str()
        .unwrap()
        .to_owned();

    // The employee's text transcript: both public messages in order, authors, the event
    // lines, never the note.
    let (st, h, text) = download(s, ALICE, &format!("{EMP}/{t}/transcript")).await;
    assert_eq!(st, 200, "{text}");
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        h["content-disposition"],
        format!("attachment; filename=\"ticket-{number}.txt\"").as_str()
    );
    assert!(
        text.starts_with(&format!("Ticket {number}: VPN <drops> & more")),
        "{text}"
    );
    let first = text
        .find("Alice Employee (employee)\nIt drops")
        .expect(&text);
    let took = text.find("Sam Support took this ticket").expect(&text);
    let reply = text
        .find("Sam Support (support)\nRestart the client")
        .expect(&text);
    let resolved = text.find("Resolved by Sam Support").expect(&text);
    assert!(first < took && took < reply && reply < resolved, "{text}");
    assert!(
        !text.contains("VPN contract"),
        "an employee's transcript holds a note: {text}"
    );
    assert!(!text.contains("internal note"), "{text}");

    // JSON: the same entries, RFC 3339 times, no note.
    let (st, h, body) = download(s, ALICE, &format!("{EMP}/{t}/transcript?format=json")).await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "application/json");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ticket"]["ticket_number"], number.as_str());
    assert_eq!(v["includes_internal"], false);
    let messages: Vec<&Value> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message")
        .collect();
    assert_eq!(messages.len(), 2, "{body}");
    assert!(messages.iter().all(|m| m["is_internal"] == false));
    let sent = messages[0]["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(sent).is_ok(), "{sent}");
    assert!(!body.contains("VPN contract"), "{body}");

    // HTML: a page that escapes user text, runs nothing and may load nothing.
    let (st, h, page) = download(s, ALICE, &format!("{EMP}/{t}/transcript?format=html")).await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(page.contains("VPN &lt;drops&gt; &amp; more"), "{page}");
    assert!(!page.contains("VPN contract"), "{page}");

    // Staff get the note, marked as one, in every format.
    let (st, _, text) = download(s, SAM, &format!("{ADM}/{t}/transcript?format=txt")).await;
    assert_eq!(st, 200);
    assert!(
        text.contains(&format!("Sam Support (support) [internal note]\n{NOTE}")),
        "{text}"
    );
    let (_, _, body) = download(s, ADA, &format!("{ADM}/{t}/transcript?format=json")).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["includes_internal"], true);
    assert!(
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["content"] == NOTE && e["is_internal"] == true)
    );
    let (_, _, page) = download(s, SAM, &format!("{ADM}/{t}/transcript?format=html")).await;
    assert!(
        page.contains("internal note") && page.contains("VPN contract"),
        "{page}"
    );
    // Staff on the employee side are still staff: the policy, not the path, decides.
    let (_, _, text) = download(s, SAM, &format!("{EMP}/{t}/transcript")).await;
    assert!(text.contains("VPN contract"), "{text}");

    // Another employee's ticket does not exist for Bob; a bad format names the field.
    let (st, _, _) = download(s, BOB, &format!("{EMP}/{t}/transcript")).await;
    assert_eq!(st, 404);
    let (st, _, body) = download(s, ALICE, &format!("{EMP}/{t}/transcript?format=pdf")).await;
    assert_eq!(st, 422, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["errors"]["format"].is_array(), "{v}");
}

on_both_stores!(each_side_downloads_what_it_may_see, scenario);
