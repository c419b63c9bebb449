//! Canned responses and ticket templates over the real binary, on SQLite and on PostgreSQL:
//! staff keep personal responses that nobody else sees, admins manage the shared ones, a
//! shortcut is unique per owner, a response renders with the ticket's employee, number and the
//! agent, and employees see the templates admins define.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";
const CANNED: &str = "/api/admin/support/canned-responses";
const TEMPLATES: &str = "/api/admin/support/templates";

fn shortcuts(v: &Value) -> Vec<&str> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["shortcut"].as_str().unwrap())
        .collect()
}

async fn create(s: &Server, token: &str, body: Value) -> (u16, Value) {
    s.call("POST", CANNED, Some(token), Some(body)).await
}

async fn canned_responses(s: &Server) {
    // Sam (support) keeps a personal one; Ada (admin) a shared one.
    let (st, mine) = create(
        s,
        SAM,
        json!({"shortcut": "vpn", "title": "VPN steps", "body": "Hi {{ employee.name }}, about {{ticket.number}}: restart the client. {{agent.name}}"}),
    )
    .await;
    assert_eq!(st, 201, "{mine}");
    let mine = mine["data"].clone();
    assert_eq!(mine["shared"], false);
    assert_eq!(mine["owner_id"], 201);
    for field in ["id", "shortcut", "title", "body", "shared", "owner_id"] {
        assert!(!mine[field].is_null(), "{field} in {mine}");
    }
    let (st, shared) = create(
        s,
        ADA,
        json!({"shortcut": "hello", "title": "Greeting", "body": "Hello {{employee.name}}", "shared": true}),
    )
    .await;
    assert_eq!(st, 201, "{shared}");
    let shared = shared["data"].clone();

    // Visibility: Sam sees the shared one and his own; Hana the shared one only.
    let (st, list) = s.call("GET", CANNED, Some(SAM), None).await;
    assert_eq!(st, 200);
    assert_eq!(shortcuts(&list), ["vpn", "hello"]);
    let (_, list) = s.call("GET", CANNED, Some(HANA), None).await;
    assert_eq!(
        shortcuts(&list),
        ["hello"],
        "Sam's personal one is his alone"
    );
    let (st, _) = s.call("GET", CANNED, Some(ALICE), None).await;
    assert_eq!(st, 403, "employees have none");

    // Hana cannot touch Sam's personal one (404, as if it did not exist), nor Sam a shared one
    // (403), nor can support make one shared.
    let sams = format!("{CANNED}/{}", mine["id"]);
    let shared_path = format!("{CANNED}/{}", shared["id"]);
    let (st, _) = s
        .call(
            "PATCH",
            &sams,
            Some(HANA),
            Some(json!({"title": "Mine now"})),
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = s.call("DELETE", &sams, Some(HANA), None).await;
    assert_eq!(st, 404);
    let (st, v) = s
        .call(
            "PATCH",
            &shared_path,
            Some(SAM),
            Some(json!({"body": "Yo"})),
        )
        .await;
    assert_eq!(st, 403, "{v}");
    let (st, _) = s.call("DELETE", &shared_path, Some(SAM), None).await;
    assert_eq!(st, 403);
    let (st, _) = create(
        s,
        SAM,
        json!({"shortcut": "all", "title": "All", "body": "All", "shared": true}),
    )
    .await;
    assert_eq!(st, 403, "only admins make shared ones");
    let (st, _) = s
        .call("PATCH", &sams, Some(SAM), Some(json!({"shared": true})))
        .await;
    assert_eq!(st, 403);

    // A duplicate shortcut is 422 on `shortcut`; another owner may reuse it.
    let (st, v) = create(
        s,
        SAM,
        json!({"shortcut": "vpn", "title": "Again", "body": "Again"}),
    )
    .await;
    assert_eq!(st, 422, "{v}");
    assert!(v["errors"]["shortcut"].is_array(), "{v}");
    let (st, v) = create(
        s,
        HANA,
        json!({"shortcut": "vpn", "title": "Hana's", "body": "Mine"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let hanas = format!("{CANNED}/{}", v["data"]["id"]);

    // Bad input names the field.
    let (st, v) = create(
        s,
        SAM,
        json!({"shortcut": "x", "title": "X", "body": "Hi {{employee.email}}"}),
    )
    .await;
    assert_eq!(st, 422);
    assert!(
        v["errors"]["body"][0]
            .as_str()
            .unwrap()
            .contains("{{employee.email}}"),
        "{v}"
    );
    let (st, v) = create(
        s,
        SAM,
        json!({"shortcut": "Bad Shortcut", "title": "", "body": "ok"}),
    )
    .await;
    assert_eq!(st, 422);
    assert!(
        v["errors"]["shortcut"].is_array() && v["errors"]["title"].is_array(),
        "{v}"
    );
    let (st, v) = s
        .call(
            "PATCH",
            &sams,
            Some(SAM),
            Some(json!({"body": "{{ nope }}"})),
        )
        .await;
    assert_eq!(st, 422);
    assert!(v["errors"]["body"].is_array(), "{v}");

    // Render: the ticket's employee, its number as the API shows it, and the caller.
    let t = s.ticket(ALICE, "VPN drops").await;
    let (_, ticket) = s.call("GET", &format!("{ADM}/{t}"), Some(SAM), None).await;
    let number = ticket["data"]["ticket"]["ticket_number"]
        .as_str()
        .or_else(|| ticket["data"]["ticket_number"].as_str())
        .unwrap_or_else(|| panic!("a ticket number in {ticket}"))
        .to_owned();
    assert!(number.starts_with("TKT-"), "{number}");
    let render = |id: &Value| format!("{ADM}/{t}/canned-responses/{id}/render");
    let (st, v) = s.call("POST", &render(&mine["id"]), Some(SAM), None).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["data"]["body"],
        format!("Hi Alice Employee, about {number}: restart the client. Sam Support")
    );
    let (st, v) = s
        .call("POST", &render(&shared["id"]), Some(HANA), None)
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["body"], "Hello Alice Employee");
    let (st, _) = s.call("POST", &render(&mine["id"]), Some(HANA), None).await;
    assert_eq!(st, 404, "another's personal one does not render");
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/999999/canned-responses/{}/render", mine["id"]),
            Some(SAM),
            None,
        )
        .await;
    assert_eq!(st, 404, "nor for a missing ticket");

    // The owner updates and deletes; the admin manages the shared one.
    let (st, v) = s
        .call(
            "PATCH",
            &sams,
            Some(SAM),
            Some(json!({"title": "VPN, step by step"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["title"], "VPN, step by step");
    assert_eq!(v["data"]["shortcut"], "vpn", "untouched fields stay");
    let (st, v) = s
        .call(
            "PATCH",
            &shared_path,
            Some(ADA),
            Some(json!({"body": "Welcome, {{employee.name}}"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = s.call("DELETE", &sams, Some(SAM), None).await;
    assert_eq!(st, 204);
    let (st, _) = s.call("DELETE", &sams, Some(SAM), None).await;
    assert_eq!(st, 404, "gone");
    let (_, list) = s.call("GET", CANNED, Some(SAM), None).await;
    assert_eq!(shortcuts(&list), ["hello"]);
    let (_, list) = s.call("GET", CANNED, Some(HANA), None).await;
    assert_eq!(
        shortcuts(&list),
        ["hello", "vpn"],
        "Hana's own vpn is untouched"
    );
    let (st, _) = s.call("DELETE", &hanas, Some(HANA), None).await;
    assert_eq!(st, 204);
    let (st, _) = s.call("DELETE", &shared_path, Some(ADA), None).await;
    assert_eq!(st, 204);
    let (_, list) = s.call("GET", CANNED, Some(SAM), None).await;
    assert_eq!(shortcuts(&list), Vec::<&str>::new());
}

async fn templates(s: &Server) {
    let body = json!({"name": "VPN problem", "category": "it", "priority": "high",
        "subject": "VPN: ", "description": "Since when?"});
    let (st, _) = s
        .call("POST", TEMPLATES, Some(SAM), Some(body.clone()))
        .await;
    assert_eq!(st, 403, "support does not define templates");
    let (st, _) = s
        .call("POST", TEMPLATES, Some(ALICE), Some(body.clone()))
        .await;
    assert_eq!(st, 403);
    let (st, v) = s.call("POST", TEMPLATES, Some(ADA), Some(body)).await;
    assert_eq!(st, 201, "{v}");
    let created = v["data"].clone();
    for (field, value) in [
        ("name", "VPN problem"),
        ("category", "it"),
        ("priority", "high"),
        ("subject", "VPN: "),
        ("description", "Since when?"),
    ] {
        // Text is trimmed like a ticket's: "VPN: " is stored as "VPN:".
        assert_eq!(created[field].as_str().unwrap(), value.trim(), "{field}");
    }
    let (st, v) = s
        .call(
            "POST",
            TEMPLATES,
            Some(ADA),
            Some(json!({"name": "x", "category": "space"})),
        )
        .await;
    assert_eq!(st, 422);
    for field in ["category", "priority", "subject", "description"] {
        assert!(v["errors"][field].is_array(), "{field}: {v}");
    }

    // Employees list them for their create form.
    let (st, v) = s
        .call("GET", &format!("{EMP}/templates"), Some(ALICE), None)
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"], json!([created]));
    let (st, v) = s.call("GET", TEMPLATES, Some(SAM), None).await;
    assert_eq!(st, 200);
    assert_eq!(v["data"], json!([created]));
    let (st, _) = s.call("GET", TEMPLATES, Some(ALICE), None).await;
    assert_eq!(st, 403, "the staff route refuses employees");

    let one = format!("{TEMPLATES}/{}", created["id"]);
    let (st, _) = s
        .call("PATCH", &one, Some(HANA), Some(json!({"priority": "low"})))
        .await;
    assert_eq!(st, 403);
    let (st, v) = s
        .call(
            "PATCH",
            &one,
            Some(ADA),
            Some(json!({"priority": "urgent"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["priority"], "urgent");
    assert_eq!(v["data"]["name"], "VPN problem");
    let (st, _) = s.call("DELETE", &one, Some(SAM), None).await;
    assert_eq!(st, 403);
    let (st, _) = s.call("DELETE", &one, Some(ADA), None).await;
    assert_eq!(st, 204);
    let (st, _) = s
        .call("PATCH", &one, Some(ADA), Some(json!({"name": "Back"})))
        .await;
    assert_eq!(st, 404);
    let (_, v) = s
        .call("GET", &format!("{EMP}/templates"), Some(BOB), None)
        .await;
    assert_eq!(v["data"], json!([]));
}

/// The literal segments beside `{ticket}` are never read as a ticket id, and a ticket is never
/// read as one of them.
async fn literal_segments_beside_ticket_ids(s: &Server) {
    let t = s.ticket(ALICE, "Routing").await;
    let (st, v) = s.call("GET", &format!("{ADM}/{t}"), Some(SAM), None).await;
    assert_eq!(st, 200, "{v}");
    for path in [CANNED, TEMPLATES] {
        let (st, v) = s.call("GET", path, Some(SAM), None).await;
        assert_eq!(st, 200, "{path}: {v}");
        assert!(v["data"].is_array(), "{path}: a list, not a ticket: {v}");
        // PATCH on the list is not the ticket PATCH: 405.
        let (st, _) = s
            .call("PATCH", path, Some(SAM), Some(json!({"status": "open"})))
            .await;
        assert_eq!(st, 405, "{path}");
    }
    let (st, v) = s
        .call("GET", &format!("{EMP}/templates"), Some(ALICE), None)
        .await;
    assert_eq!(st, 200);
    assert!(v["data"].is_array(), "{v}");
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{CANNED}/abc"),
            Some(SAM),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 404, "a non-numeric id names nothing");
}

async fn scenario(s: &Server) {
    canned_responses(s).await;
    templates(s).await;
    literal_segments_beside_ticket_ids(s).await;
}

on_both_stores!(canned_responses_and_templates_follow_the_policy, scenario);

/// Demo mode seeds shared canned responses and templates, once: a second start on the same
/// database adds none.
#[tokio::test(flavor = "multi_thread")]
async fn demo_mode_seeds_shared_responses_and_templates_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    for start in ["first", "second"] {
        let s = start_with_args(dir.path(), 0, &db, &["--demo", "--no-rate-limits"]);
        let (st, v) = s
            .call("GET", &format!("{EMP}/templates"), Some(ALICE), None)
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["data"].as_array().unwrap().len(), 2, "{start} start: {v}");
        let (st, v) = s.call("GET", CANNED, Some(SAM), None).await;
        assert_eq!(st, 200, "{v}");
        let list = v["data"].as_array().unwrap();
        assert_eq!(list.len(), 3, "{start} start: {v}");
        assert!(list.iter().all(|r| r["shared"] == true), "{v}");
        // They render: every variable they use is a known one.
        let t = s.ticket(ALICE, "Demo").await;
        for r in list {
            let (st, v) = s
                .call(
                    "POST",
                    &format!("{ADM}/{t}/canned-responses/{}/render", r["id"]),
                    Some(SAM),
                    None,
                )
                .await;
            assert_eq!(st, 200, "{v}");
            assert!(!v["data"]["body"].as_str().unwrap().contains("{{"), "{v}");
        }
    }
}
