//! Full-text search over the real binary, on SQLite and on PostgreSQL: staff find subjects,
//! descriptions, messages and notes; an employee finds only their own tickets' public text;
//! the snippet is plain text with UTF-16 highlight ranges; bad input is a 422 that names the
//! field, an employee on the staff route a 403, and another employee's ticket stays a 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

/// `(ticket id, message id)` of each hit.
fn docs(v: &Value) -> Vec<(i64, Option<i64>)> {
    v["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data: {v}"))
        .iter()
        .map(|h| {
            (
                h["ticket"]["id"].as_i64().unwrap(),
                h["message_id"].as_i64(),
            )
        })
        .collect()
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(s: &Server, side: &str, token: &str, q: &str) -> (u16, Value) {
    s.call(
        "GET",
        &format!("{side}/search?q={}", encode(q)),
        Some(token),
        None,
    )
    .await
}

async fn post(s: &Server, path: String, token: &str, body: Value) -> i64 {
    let (st, v) = s.call("POST", &path, Some(token), Some(body)).await;
    assert_eq!(st, 201, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

async fn scenario(s: &Server) {
    let vpn = s.ticket(ALICE, "Zephyrvpn drops every hour").await;
    let hello = post(
        s,
        format!("{EMP}/{vpn}/chat"),
        ALICE,
        json!({"message": "The 😀 marmalade router <b>blinks</b>"}),
    )
    .await;
    let note = post(
        s,
        format!("{ADM}/{vpn}/comment"),
        SAM,
        json!({"content": "xylograph SECRET-NOTE", "is_internal": true}),
    )
    .await;
    let bobs = s.ticket(BOB, "Zephyrvpn on my phone").await;

    // Staff: subject hits of both tickets, the note; each hit carries the ticket object.
    let (st, v) = search(s, ADM, SAM, "zephyrvpn").await;
    assert_eq!(st, 200, "{v}");
    let mut found = docs(&v);
    found.sort();
    assert_eq!(found, vec![(vpn, None), (bobs, None)]);
    assert!(
        v["data"][0]["ticket"]["ticket_number"]
            .as_str()
            .unwrap()
            .starts_with("TKT-")
    );
    assert_eq!(v["next_cursor"], Value::Null);
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["is_internal"] == false),
        "a ticket's own hit is no note: {v}"
    );
    let (_, v) = search(s, ADM, ADA, "xylograph").await;
    assert_eq!(docs(&v), vec![(vpn, Some(note))]);
    assert_eq!(v["data"][0]["is_internal"], true, "{v}");

    // The snippet is text as written; the highlight is a UTF-16 range of it.
    let (_, v) = search(s, EMP, ALICE, "marmal").await;
    assert_eq!(docs(&v), vec![(vpn, Some(hello))]);
    let hit = &v["data"][0];
    assert_eq!(hit["is_internal"], false, "{hit}");
    let text = hit["snippet"].as_str().unwrap();
    assert!(text.contains("<b>blinks</b>"), "{hit}");
    let units: Vec<u16> = text.encode_utf16().collect();
    let [a, b] = [
        hit["highlights"][0][0].as_u64().unwrap(),
        hit["highlights"][0][1].as_u64().unwrap(),
    ];
    assert_eq!(
        String::from_utf16(&units[a as usize..b as usize]).unwrap(),
        "marmalade"
    );
    assert_eq!(hit["highlights"].as_array().unwrap().len(), 1, "{hit}");

    // Alice: her own ticket only, never the note; Bob: his own.
    let (st, v) = search(s, EMP, ALICE, "zephyrvpn").await;
    assert_eq!(st, 200);
    assert_eq!(docs(&v), vec![(vpn, None)]);
    for q in ["xylograph", "secret note", "SECRET-NOTE"] {
        let (st, v) = search(s, EMP, ALICE, q).await;
        assert_eq!(st, 200);
        assert!(docs(&v).is_empty(), "{q}: {v}");
        assert!(!v.to_string().contains("SECRET"), "{v}");
    }
    let (_, v) = search(s, EMP, BOB, "zephyrvpn").await;
    assert_eq!(docs(&v), vec![(bobs, None)]);
    let (_, v) = search(s, EMP, BOB, "marmalade").await;
    assert!(docs(&v).is_empty(), "{v}");
    // And what Bob cannot find he cannot open either.
    let (st, _) = s
        .call("GET", &format!("{EMP}/{vpn}"), Some(BOB), None)
        .await;
    assert_eq!(st, 404);

    // Employees are refused the staff route; nobody is anonymous.
    let (st, _) = search(s, ADM, ALICE, "zephyrvpn").await;
    assert_eq!(st, 403);
    let (st, _) = s
        .call("GET", &format!("{ADM}/search?q=x"), None, None)
        .await;
    assert_eq!(st, 401);

    // Bad input: 422 naming the field, on both routes.
    for side in [EMP, ADM] {
        let token = if side == EMP { ALICE } else { SAM };
        for (query, field) in [
            ("", "q"),
            ("?q=", "q"),
            ("?q=%20%20", "q"),
            (&format!("?q={}", "x".repeat(201)) as &str, "q"),
            ("?q=vpn&cursor=nope", "cursor"),
            ("?q=vpn&limit=0", "limit"),
            ("?q=vpn&limit=ten", "limit"),
        ] {
            let (st, v) = s
                .call("GET", &format!("{side}/search{query}"), Some(token), None)
                .await;
            assert_eq!(st, 422, "{side} {query}: {v}");
            assert!(v["errors"][field].is_array(), "{side} {query}: {v}");
            assert!(v["message"].is_string(), "{v}");
        }
        // Hostile text is words or nothing, never an error.
        for q in [
            "\"",
            "NEAR(",
            "*",
            "-x",
            "^",
            "a OR",
            "'; DROP TABLE tickets; --",
            "東京",
            ":*",
        ] {
            let (st, v) = search(s, side, token, q).await;
            assert_eq!(st, 200, "{q}: {v}");
        }
    }

    // Pages: limit and cursor visit every hit once.
    for i in 0..5 {
        let t = s.ticket(ALICE, &format!("Quokka {i}")).await;
        post(
            s,
            format!("{EMP}/{t}/chat"),
            ALICE,
            json!({"message": "quokka again"}),
        )
        .await;
    }
    let (_, all) = s
        .call(
            "GET",
            &format!("{ADM}/search?q=quokka&limit=50"),
            Some(SAM),
            None,
        )
        .await;
    let all = docs(&all);
    assert_eq!(all.len(), 10);
    let mut paged = Vec::new();
    let mut path = format!("{ADM}/search?q=quokka&limit=3");
    loop {
        let (st, v) = s.call("GET", &path, Some(SAM), None).await;
        assert_eq!(st, 200, "{v}");
        paged.extend(docs(&v));
        match v["next_cursor"].as_str() {
            Some(c) => path = format!("{ADM}/search?q=quokka&limit=3&cursor={}", encode(c)),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_search_finds_what_each_side_may_see() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_unthrottled(dir.path());
    scenario(&s).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn on_postgres_search_finds_what_each_side_may_see() {
    common::postgres_probe_still_holds();
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_args(dir.path(), 0, &db.url(), &["--no-rate-limits"]);
    scenario(&s).await;
}
