//! The real binary over HTTP: who may do what on every route, internal notes never reaching an
//! employee, bad input answered 4xx (never 5xx), idempotent retries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";
const USERS: &str = "/api/admin/users";

const MULTIPART: &str = "multipart/form-data; boundary=matrix";

/// A form with one small PNG as its `file`.
fn png_form() -> Vec<u8> {
    let mut body = b"--matrix\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    body.extend_from_slice(b"\r\n--matrix--\r\n");
    body
}

async fn upload_file(s: &Server, token: &str, path: &str) -> Value {
    let (st, text) = s
        .raw(
            "POST",
            path,
            token,
            &[("content-type", MULTIPART)],
            png_form(),
        )
        .await;
    assert_eq!(st, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
}

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(dir.path(), 0);
    (dir, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_each_kind_of_caller_as_the_policy_says() {
    let (_dir, s) = start();
    let t = s.ticket(ALICE, "Alice's ticket").await;
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/comment"),
            Some(SAM),
            Some(json!({"content": "SECRET-NOTE", "is_internal": true})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "first"})),
        )
        .await;
    assert_eq!(st, 201);
    let read = json!({"message_id": v["data"]["id"]});
    let m = v["data"]["id"].as_i64().unwrap();
    // A file on Alice's public message, and one on a staff note.
    let shot = upload_file(&s, ALICE, &format!("{EMP}/{t}/attachments")).await;
    let (st, _) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "file", "attachments": [shot["id"]]})),
        )
        .await;
    assert_eq!(st, 201);
    let noted = upload_file(&s, SAM, &format!("{ADM}/{t}/attachments")).await;
    let note =
        json!({"content": "SECRET-NOTE file", "is_internal": true, "attachments": [noted["id"]]});
    let (st, _) = s
        .call("POST", &format!("{ADM}/{t}/comment"), Some(SAM), Some(note))
        .await;
    assert_eq!(st, 201);
    let chat = json!({"message": "hi"});
    let comment = json!({"content": "hi"});
    let patch = json!({"status": "in_progress"});
    // Sam's personal canned response, a shared one (Ada's) and a template, for their routes.
    let canned = format!("{ADM}/canned-responses");
    let made = |token, body| {
        let (s, canned) = (&s, &canned);
        async move {
            let (st, v) = s.call("POST", canned, Some(token), Some(body)).await;
            assert_eq!(st, 201, "{v}");
            v["data"]["id"].as_i64().unwrap()
        }
    };
    let personal = made(SAM, json!({"shortcut": "sams", "title": "S", "body": "S"})).await;
    let shared = made(
        ADA,
        json!({"shortcut": "all", "title": "A", "body": "A", "shared": true}),
    )
    .await;
    let template = json!({"name": "T", "category": "it", "priority": "low", "subject": "S", "description": "D"});
    let (st, v) = s
        .call(
            "POST",
            &format!("{ADM}/templates"),
            Some(ADA),
            Some(template.clone()),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let template_id = v["data"]["id"].as_i64().unwrap();
    // (method, path, body, [anonymous, owner, other employee, support, admin, hr])
    let routes: Vec<(&str, String, Option<Value>, [u16; 6])> = vec![
        ("GET", EMP.into(), None, [401, 200, 200, 200, 200, 200]),
        (
            "GET",
            format!("{EMP}/{t}"),
            None,
            [401, 200, 404, 200, 200, 200],
        ),
        (
            "POST",
            format!("{EMP}/{t}/comment"),
            Some(comment.clone()),
            [401, 201, 404, 201, 201, 201],
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            Some(chat.clone()),
            [401, 201, 404, 201, 201, 201],
        ),
        (
            "GET",
            format!("{EMP}/{t}/messages?after=0"),
            None,
            [401, 200, 404, 200, 200, 200],
        ),
        (
            "POST",
            format!("{EMP}/{t}/read"),
            Some(read.clone()),
            [401, 204, 404, 204, 204, 204],
        ),
        (
            "GET",
            format!("{EMP}/{t}/transcript?format=html"),
            None,
            [401, 200, 404, 200, 200, 200],
        ),
        (
            "GET",
            shot["url"].as_str().unwrap().to_owned(),
            None,
            [401, 200, 404, 200, 200, 200],
        ),
        // An internal note's file: staff only, as the note.
        (
            "GET",
            noted["url"].as_str().unwrap().to_owned(),
            None,
            [401, 404, 404, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/{t}/transcript"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "POST",
            format!("{EMP}/{t}/messages/{m}/reactions"),
            Some(json!({"emoji": "👍"})),
            [401, 200, 404, 200, 200, 200],
        ),
        (
            "DELETE",
            format!("{EMP}/{t}/messages/{m}/reactions/%F0%9F%91%8D"),
            None,
            [401, 200, 404, 200, 200, 200],
        ),
        (
            "POST",
            format!("{ADM}/{t}/messages/{m}/reactions"),
            Some(json!({"emoji": "👍"})),
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "DELETE",
            format!("{ADM}/{t}/messages/{m}/reactions/%F0%9F%91%8D"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "POST",
            format!("{ADM}/{t}/read"),
            Some(read.clone()),
            [401, 403, 403, 204, 204, 204],
        ),
        (
            "GET",
            format!("{ADM}/dashboard"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        ("GET", ADM.into(), None, [401, 403, 403, 200, 200, 200]),
        (
            "GET",
            format!("{ADM}/stats"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/reports?group_by=agent&format=csv"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        // The web UI's people list (names, the assignment menu).
        (
            "GET",
            format!("{ADM}/users"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/{t}"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/{t}/live-chat"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "POST",
            format!("{ADM}/{t}/chat"),
            Some(chat.clone()),
            [401, 403, 403, 201, 201, 201],
        ),
        (
            "POST",
            format!("{ADM}/{t}/comment"),
            Some(comment.clone()),
            [401, 403, 403, 201, 201, 201],
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            Some(patch.clone()),
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/{t}/messages?after=0"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/{t}/audit"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/{t}/history"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        // The whole audit log: admins only.
        (
            "GET",
            format!("{ADM}/audit"),
            None,
            [401, 403, 403, 403, 200, 403],
        ),
        (
            "GET",
            format!("{ADM}/audit?format=csv"),
            None,
            [401, 403, 403, 403, 200, 403],
        ),
        // The admins' users API: admins only, other staff too get 403.
        ("GET", USERS.into(), None, [401, 403, 403, 403, 200, 403]),
        (
            "POST",
            USERS.into(),
            Some(json!({"name": "Nina New", "email": "nina@example.com", "role": "support"})),
            [401, 403, 403, 403, 201, 403],
        ),
        (
            "PATCH",
            format!("{USERS}/102"),
            Some(json!({"name": "Bob Employee"})),
            [401, 403, 403, 403, 200, 403],
        ),
        (
            "POST",
            format!("{USERS}/102/password"),
            Some(json!({"password": "a long enough password"})),
            [401, 403, 403, 403, 200, 403],
        ),
        (
            "GET",
            format!("{USERS}/102/tokens"),
            None,
            [401, 403, 403, 403, 200, 403],
        ),
        (
            "POST",
            format!("{USERS}/102/tokens"),
            Some(json!({"name": "laptop"})),
            [401, 403, 403, 403, 201, 403],
        ),
        (
            "DELETE",
            "/api/admin/tokens/99999".into(),
            None,
            [401, 403, 403, 403, 404, 403],
        ),
        // Canned responses: staff only; a personal one is its owner's alone (404 for others,
        // admins included), a shared one is managed by admins.
        ("GET", canned.clone(), None, [401, 403, 403, 200, 200, 200]),
        (
            "POST",
            canned.clone(),
            Some(json!({"shortcut": "mine", "title": "M", "body": "M"})),
            [401, 403, 403, 201, 201, 201],
        ),
        (
            "POST",
            canned.clone(),
            Some(json!({"shortcut": "ours", "title": "O", "body": "O", "shared": true})),
            [401, 403, 403, 403, 201, 403],
        ),
        (
            "PATCH",
            format!("{canned}/{personal}"),
            Some(json!({"title": "S2"})),
            [401, 403, 403, 200, 404, 404],
        ),
        (
            "PATCH",
            format!("{canned}/{shared}"),
            Some(json!({"title": "A2"})),
            [401, 403, 403, 403, 200, 403],
        ),
        (
            "POST",
            format!("{ADM}/{t}/canned-responses/{personal}/render"),
            None,
            [401, 403, 403, 200, 404, 404],
        ),
        (
            "POST",
            format!("{ADM}/{t}/canned-responses/{shared}/render"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "DELETE",
            format!("{canned}/{personal}"),
            None,
            [401, 403, 403, 204, 404, 404],
        ),
        // Ada deletes it, so Hana (after her) finds nothing there.
        (
            "DELETE",
            format!("{canned}/{shared}"),
            None,
            [401, 403, 403, 403, 204, 404],
        ),
        // Templates: everyone lists them on the employee side; admins manage them.
        (
            "GET",
            format!("{EMP}/templates"),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/templates"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        (
            "POST",
            format!("{ADM}/templates"),
            Some(template.clone()),
            [401, 403, 403, 403, 201, 403],
        ),
        (
            "PATCH",
            format!("{ADM}/templates/{template_id}"),
            Some(json!({"priority": "high"})),
            [401, 403, 403, 403, 200, 403],
        ),
        (
            "DELETE",
            format!("{ADM}/templates/{template_id}"),
            None,
            [401, 403, 403, 403, 204, 403],
        ),
        // Search: everyone searches their own tickets (a note's words find nothing for an
        // employee); staff search everything.
        (
            "GET",
            format!("{EMP}/search?q=secret%20note"),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "GET",
            format!("{ADM}/search?q=secret%20note"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        // A ticket that does not exist looks the same as one the caller may not see.
        (
            "GET",
            format!("{EMP}/99999"),
            None,
            [401, 404, 404, 404, 404, 404],
        ),
        (
            "GET",
            format!("{EMP}/not-a-number"),
            None,
            [401, 404, 404, 404, 404, 404],
        ),
        // Not a user's route: without --metrics-token (or --metrics-bind) it is not served to
        // anyone; with it, only the metrics token opens it (tests/metrics.rs).
        (
            "GET",
            "/metrics".into(),
            None,
            [404, 404, 404, 404, 404, 404],
        ),
    ];
    let callers = [
        None,
        Some(ALICE),
        Some(BOB),
        Some(SAM),
        Some(ADA),
        Some(HANA),
    ];
    for (method, path, body, expected) in &routes {
        for (caller, want) in callers.iter().zip(expected) {
            let (got, v) = s.call(method, path, *caller, body.clone()).await;
            assert_eq!(got, *want, "{method} {path} as {caller:?}: {v}");
            if matches!(caller, Some(ALICE) | Some(BOB)) {
                assert!(
                    !v.to_string().contains("SECRET-NOTE"),
                    "{method} {path} showed a note to an employee"
                );
            }
        }
    }
    // Uploads (multipart bodies): each side's route, as its JSON routes.
    let uploads = [
        (
            format!("{EMP}/{t}/attachments"),
            [401, 201, 404, 201, 201, 201],
        ),
        (
            format!("{ADM}/{t}/attachments"),
            [401, 403, 403, 201, 201, 201],
        ),
    ];
    for (path, expected) in &uploads {
        for (caller, want) in callers.iter().zip(expected) {
            let (got, v) = s
                .raw(
                    "POST",
                    path,
                    caller.unwrap_or(""),
                    &[("content-type", MULTIPART)],
                    png_form(),
                )
                .await;
            assert_eq!(got, *want, "POST {path} as {caller:?}: {v}");
        }
    }
    // Staff see the note, marked internal.
    let (_, v) = s.call("GET", &format!("{ADM}/{t}"), Some(SAM), None).await;
    let notes: Vec<&Value> = v["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["is_internal"] == true)
        .collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["content"], "SECRET-NOTE");
    // An employee cannot write one.
    let (st, _) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/comment"),
            Some(ALICE),
            Some(json!({"content": "x", "is_internal": true})),
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_4xx_with_the_field_named_never_5xx() {
    let (_dir, s) = start();
    let t = s.ticket(ALICE, "bad input").await;
    let long = "a".repeat(2001);
    let cases: Vec<(&str, String, &str, Value, &str)> = vec![
        ("POST", EMP.into(), ALICE, json!({}), "subject"),
        (
            "POST",
            EMP.into(),
            ALICE,
            json!({"subject": 1, "description": [], "category": "it", "priority": "high"}),
            "subject",
        ),
        (
            "POST",
            EMP.into(),
            ALICE,
            json!({"subject": "s", "description": "d", "category": "cars", "priority": "high"}),
            "category",
        ),
        (
            "POST",
            EMP.into(),
            ALICE,
            json!({"subject": "s", "description": "d", "category": "it", "priority": "asap"}),
            "priority",
        ),
        (
            "POST",
            format!("{EMP}/quick-chat"),
            ALICE,
            json!({"message": "   "}),
            "message",
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            ALICE,
            json!({"message": long}),
            "message",
        ),
        (
            "POST",
            format!("{EMP}/{t}/comment"),
            ALICE,
            json!({"content": null}),
            "content",
        ),
        (
            "POST",
            format!("{EMP}/{t}/comment"),
            ALICE,
            json!({"content": "x", "attachments": "nope"}),
            "attachments",
        ),
        (
            "POST",
            format!("{EMP}/{t}/comment"),
            ALICE,
            json!({"content": "x", "attachments": [99999]}),
            "attachments.0",
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            SAM,
            json!({"status": "done"}),
            "status",
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            SAM,
            json!({"assigned_to": 101}),
            "assigned_to",
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            SAM,
            json!({"assigned_to": "x"}),
            "assigned_to",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let (st, v) = s.call(method, &path, Some(token), Some(body.clone())).await;
        assert_eq!(st, 422, "{method} {path} {body}: {v}");
        assert!(v["errors"][field].is_array(), "{field} not named: {v}");
        assert!(v["message"].is_string());
    }
    // 2000 emoji are 2000 characters: accepted.
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "😀".repeat(2000)})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    for (what, body, ctype) in [
        (
            "malformed JSON",
            b"{\"message\": ".to_vec(),
            "application/json",
        ),
        (
            "invalid UTF-8",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
            "application/json",
        ),
        ("a JSON string", b"\"hello\"".to_vec(), "application/json"),
        ("huge body", vec![b' '; 200_000], "application/json"),
    ] {
        let (st, text) = s
            .raw(
                "POST",
                &format!("{EMP}/{t}/chat"),
                ALICE,
                &[("content-type", ctype)],
                body,
            )
            .await;
        assert!((400..500).contains(&st), "{what}: {st} {text}");
    }
    let (st, _) = s
        .raw(
            "POST",
            &format!("{EMP}/{t}/chat"),
            ALICE,
            &[("content-type", "application/json")],
            vec![b' '; 200_000],
        )
        .await;
    assert_eq!(st, 413);
    for q in [
        "after=abc",
        "before=x",
        "limit=-1",
        "limit=0",
        "after=1&before=2",
    ] {
        let (st, v) = s
            .call("GET", &format!("{EMP}/{t}/messages?{q}"), Some(ALICE), None)
            .await;
        assert_eq!(st, 422, "{q}: {v}");
    }
    for q in [
        "status=nope",
        "priority=x",
        "category=y",
        "assigned_to=z",
        "cursor=bogus",
    ] {
        let (st, v) = s.call("GET", &format!("{ADM}?{q}"), Some(SAM), None).await;
        assert_eq!(st, 422, "{q}: {v}");
    }
    let (st, _) = s
        .raw(
            "POST",
            &format!("{EMP}/{t}/chat"),
            ALICE,
            &[
                ("content-type", "application/json"),
                ("x-socket-id", "evil"),
            ],
            b"{\"message\":\"x\"}".to_vec(),
        )
        .await;
    assert_eq!(st, 422, "a malformed X-Socket-ID is refused, not ignored");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_post_with_the_same_idempotency_key_creates_one_message() {
    let (_dir, s) = start();
    let t = s.ticket(ALICE, "retry").await;
    let path = format!("{EMP}/{t}/chat");
    let send = || {
        s.raw(
            "POST",
            &path,
            ALICE,
            &[
                ("content-type", "application/json"),
                ("idempotency-key", "retry-1"),
            ],
            b"{\"message\":\"once\"}".to_vec(),
        )
    };
    let (a, first) = send().await;
    let (b, second) = send().await;
    assert_eq!((a, b), (201, 201));
    assert_eq!(first, second, "the retry answers the first result");
    let (_, v) = s
        .call(
            "GET",
            &format!("{EMP}/{t}/messages?after=0"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let (st, _) = s
        .raw(
            "POST",
            &format!("{EMP}/{t}/chat"),
            ALICE,
            &[
                ("content-type", "application/json"),
                ("idempotency-key", "retry-1"),
            ],
            b"{\"message\":\"different\"}".to_vec(),
        )
        .await;
    assert_eq!(st, 409, "the same key on a different request is a conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_the_store() {
    let (_dir, s) = start();
    let res = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}
