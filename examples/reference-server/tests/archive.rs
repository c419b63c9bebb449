//! Archiving over the real binary, on SQLite and on PostgreSQL: `maintenance archive
//! --closed-before DAYS` archives the closed tickets and only those, says how many, and
//! archives nothing more when run again; an archived ticket leaves the staff list, the
//! employee's list and default search, is found with `archived=true`, stays readable by id
//! (to whoever could read it) and exportable, and comes back when its employee replies; each
//! one is in the audit log; `--archive-after DAYS` does the same inside the server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

fn ids(page: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

fn hit_tickets(page: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("hits: {page}"))
        .iter()
        .map(|h| h["ticket"]["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn get(s: &Server, path: &str, token: &str) -> Value {
    let (st, v) = s.call("GET", path, Some(token), None).await;
    assert_eq!(st, 200, "GET {path}: {v}");
    v
}

async fn close(s: &Server, ticket: i64) {
    let (st, v) = s
        .call(
            "PATCH",
            &format!("{ADM}/{ticket}"),
            Some(SAM),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
}

/// Everything but the daily run, on the server `s` over the database `db`.
async fn scenario(s: &Server, db: &str) -> i64 {
    let old = s.ticket(ALICE, "Quokka printer jammed").await;
    let (st, _) = s
        .call(
            "POST",
            &format!("{EMP}/{old}/chat"),
            Some(ALICE),
            Some(json!({"message": "the quokka tray again"})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, _) = s
        .call(
            "POST",
            &format!("{ADM}/{old}/comment"),
            Some(SAM),
            Some(json!({"content": "quokka vendor note", "is_internal": true})),
        )
        .await;
    assert_eq!(st, 201);
    close(s, old).await;
    let bobs = s.ticket(BOB, "Quokka badge lost").await;
    close(s, bobs).await;
    let live = s.ticket(ALICE, "Quokka laptop slow").await;
    let resolved = s.ticket(ALICE, "Quokka monitor flickers").await;
    let (st, _) = s
        .call(
            "PATCH",
            &format!("{ADM}/{resolved}"),
            Some(SAM),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(st, 200);

    // The command: closed tickets only, how many, and nothing more the second time.
    let said = command_ok(db, &["maintenance", "archive", "--closed-before", "0"], "");
    assert!(
        said.starts_with("archived 2 closed tickets last active before "),
        "{said}"
    );
    let said = command_ok(db, &["maintenance", "archive", "--closed-before", "0"], "");
    assert!(said.starts_with("archived 0 closed tickets"), "{said}");
    let said = command_ok(db, &["maintenance", "archive", "--closed-before", "30"], "");
    assert!(said.starts_with("archived 0 closed tickets"), "{said}");
    for bad in [
        &["--closed-before", "-3"][..],
        &["--closed-before", "soon"],
        &[],
    ] {
        let mut args = vec!["maintenance", "archive"];
        args.extend_from_slice(bad);
        let ran = command(db, &args, "");
        assert!(!ran.ok, "{bad:?} is refused");
        assert!(ran.stderr.contains("--closed-before"), "{}", ran.stderr);
    }

    // Out of the lists.
    let list = get(s, ADM, SAM).await;
    assert_eq!(ids(&list), vec![live, resolved], "the staff list: {list}");
    let archive = get(s, &format!("{ADM}?archived=true"), SAM).await;
    assert_eq!(ids(&archive), vec![old, bobs]);
    assert!(
        archive["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["archived_at"].is_string() && t["status"] == "closed"),
        "{archive}"
    );
    let closed = get(s, &format!("{ADM}?status=closed"), SAM).await;
    assert_eq!(ids(&closed), Vec::<i64>::new());
    let dashboard = get(s, &format!("{ADM}/dashboard"), SAM).await;
    assert!(!ids(&dashboard).contains(&old));
    let mine = get(s, EMP, ALICE).await;
    assert_eq!(ids(&mine), vec![live, resolved], "the employee's list");
    let mine = get(s, &format!("{EMP}?archived=1"), ALICE).await;
    assert_eq!(
        ids(&mine),
        vec![old],
        "the employee's archive: their own only"
    );
    let (st, e) = s
        .call("GET", &format!("{ADM}?archived=maybe"), Some(SAM), None)
        .await;
    assert_eq!(st, 422, "{e}");
    assert!(e["errors"]["archived"].is_array(), "{e}");
    let (st, e) = s
        .call("GET", &format!("{EMP}?archived=yes"), Some(ALICE), None)
        .await;
    assert_eq!(st, 422, "{e}");
    assert!(e["errors"]["archived"].is_array(), "{e}");

    // Out of default search, in archived=true.
    let found = get(s, &format!("{ADM}/search?q=quokka"), SAM).await;
    assert_eq!(hit_tickets(&found), vec![live, resolved]);
    let found = get(s, &format!("{ADM}/search?q=quokka&archived=true"), SAM).await;
    assert_eq!(hit_tickets(&found), vec![old, bobs]);
    assert!(
        found.to_string().contains("vendor note"),
        "staff find the note"
    );
    let found = get(s, &format!("{EMP}/search?q=quokka&archived=true"), ALICE).await;
    assert_eq!(hit_tickets(&found), vec![old]);
    assert!(!found.to_string().contains("vendor"), "{found}");

    // Readable by id, exportable, to whoever could read it before.
    let view = get(s, &format!("{EMP}/{old}"), ALICE).await;
    assert!(view["data"]["ticket"]["archived_at"].is_string(), "{view}");
    assert!(view.to_string().contains("the quokka tray again"));
    assert!(!view.to_string().contains("vendor note"));
    let (st, _) = s
        .call("GET", &format!("{EMP}/{old}"), Some(BOB), None)
        .await;
    assert_eq!(st, 404, "another employee's archived ticket");
    let view = get(s, &format!("{ADM}/{old}"), SAM).await;
    assert!(view.to_string().contains("vendor note"));
    let res = s
        .http
        .get(format!("{}{EMP}/{old}/transcript?format=txt", s.base))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("the quokka tray again"), "{text}");

    // In the audit log, once each, as the command line.
    let log = get(s, &format!("{ADM}/audit?action=ticket.archived"), ADA).await;
    let records = log["data"].as_array().unwrap();
    let mut archived: Vec<i64> = records
        .iter()
        .map(|r| r["ticket_id"].as_i64().unwrap())
        .collect();
    archived.sort_unstable();
    assert_eq!(archived, vec![old, bobs], "{log}");
    assert!(records.iter().all(|r| r["actor_name"] == "command line"));
    let history = get(s, &format!("{ADM}/{old}/history"), SAM).await;
    assert!(history.to_string().contains("ticket.archived"), "{history}");

    // A reply brings it back.
    let (st, _) = s
        .call(
            "POST",
            &format!("{EMP}/{old}/chat"),
            Some(ALICE),
            Some(json!({"message": "it jams again"})),
        )
        .await;
    assert_eq!(st, 201);
    let view = get(s, &format!("{EMP}/{old}"), ALICE).await;
    assert_eq!(view["data"]["ticket"]["status"], "open");
    assert!(view["data"]["ticket"]["archived_at"].is_null(), "{view}");
    let list = get(s, ADM, SAM).await;
    assert_eq!(ids(&list), vec![old, live, resolved]);
    live
}

/// `--archive-after 0` archives at start: the ticket closed since shows up in the archive.
async fn daily(s: &Server, closed: i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let archive = get(s, &format!("{ADM}?archived=true"), SAM).await;
        if ids(&archive).contains(&closed) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not archived at start: {archive}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = get(s, &format!("{ADM}/audit?action=ticket.archived"), ADA).await;
    assert!(
        log["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ticket_id"] == closed && r["actor_name"] == "archive schedule"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_old_closed_tickets_are_archived_and_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let live = {
        let s = start_with_args(dir.path(), 0, &db, &["--no-rate-limits"]);
        let live = scenario(&s, &db).await;
        close(&s, live).await;
        live
    };
    let s = start_with_args(
        dir.path(),
        0,
        &db,
        &["--no-rate-limits", "--archive-after", "0"],
    );
    daily(&s, live).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn on_postgres_old_closed_tickets_are_archived_and_stay_readable() {
    common::postgres_probe_still_holds();
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let live = {
        let s = start_with_args(dir.path(), 0, &db.url(), &["--no-rate-limits"]);
        let live = scenario(&s, &db.url()).await;
        close(&s, live).await;
        live
    };
    let s = start_with_args(
        dir.path(),
        0,
        &db.url(),
        &["--no-rate-limits", "--archive-after", "0"],
    );
    daily(&s, live).await;
}

/// `kill -9` on `maintenance archive` mid-run, again and again: every ticket is archived with
/// its one record or neither, and a run to the end archives the rest, each exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_a_killed_archiving_run_leaves_every_ticket_whole() {
    use futures::StreamExt;
    const TICKETS: usize = 1500;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &["--no-rate-limits"]);
    let made: Vec<i64> = futures::stream::iter(0..TICKETS)
        .map(|i| {
            let s = &s;
            async move {
                let t = s.ticket(ALICE, &format!("closed {i}")).await;
                close(s, t).await;
                t
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(made.len(), TICKETS);

    // (archived tickets, ticket.archived records), read over the API.
    let state = || async {
        let mut archived = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("{ADM}?archived=true&limit=100");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = get(&s, &path, SAM).await;
            archived += page["data"].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut records = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("{ADM}/audit?action=ticket.archived&limit=500");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = get(&s, &path, ADA).await;
            records.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["ticket_id"].as_i64().unwrap()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        (archived, records)
    };

    let mut partial = false;
    for delay in (0..20).map(|i| Duration::from_millis(40 + 15 * i)) {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reference-server"))
            .args(["maintenance", "archive", "--closed-before", "0"])
            .args(["--database-url", &db])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(delay).await;
        let killed = std::process::Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status()
            .unwrap();
        let _ = child.wait();
        let (archived, records) = state().await;
        let mut unique = records.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), records.len(), "a ticket recorded twice");
        assert_eq!(
            archived,
            records.len(),
            "after a kill at {delay:?}: {archived} archived, {} recorded",
            records.len()
        );
        if killed.success() && 0 < archived && archived < TICKETS {
            partial = true;
        }
        if archived == TICKETS {
            break;
        }
    }
    let said = command_ok(&db, &["maintenance", "archive", "--closed-before", "0"], "");
    assert!(said.starts_with("archived "), "{said}");
    let (archived, records) = state().await;
    assert_eq!(archived, TICKETS, "every ticket archived in the end");
    let mut unique = records.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), TICKETS, "each recorded once");
    assert_eq!(records.len(), TICKETS);
    eprintln!("a kill landed mid-run at least once: {partial}");
}
