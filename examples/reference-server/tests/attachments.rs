//! Attachments over the real binary, on SQLite (files beside the database) and on PostgreSQL:
//! upload, attach, download as the owner and staff, 404 for another employee and for an
//! internal note's file on the employee side, 413 from the Content-Length and mid-stream, 422
//! for a type not allowed or not what it claims and for someone else's upload, the same
//! content stored once, nothing left behind by an interrupted upload, and the collector.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";
const BOUNDARY: &str = "----attachments-test-boundary";
/// The limit the servers of these tests run with.
const MAX: usize = 256 * 1024;

/// A PNG's first bytes, then anything: what the type is decided from.
fn png(seed: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    bytes.extend((0..2000u32).map(|i| (i as u8).wrapping_mul(seed)));
    bytes
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

fn multipart(name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    s: &Server,
    token: &str,
    side: &str,
    t: i64,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let (st, text) = s
        .raw(
            "POST",
            &format!("{side}/{t}/attachments"),
            token,
            &[(
                "content-type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            )],
            multipart(name, content_type, bytes),
        )
        .await;
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn uploaded(s: &Server, token: &str, side: &str, t: i64, name: &str, bytes: &[u8]) -> Value {
    let (st, v) = upload(s, token, side, t, name, "application/octet-stream", bytes).await;
    assert_eq!(st, 201, "{v}");
    v["data"].clone()
}

async fn get(s: &Server, token: &str, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = s
        .http
        .get(format!("{}{url}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn header<'h>(h: &'h reqwest::header::HeaderMap, name: &str) -> &'h str {
    h.get(name).map_or("", |v| v.to_str().unwrap())
}

fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Writes a request by hand on a raw connection: the head, then `body` in pieces; `finish`
/// false leaves the body unfinished. Answers the status line, or `None` if there was none.
fn raw_upload(s: &Server, head: &str, pieces: &[Vec<u8>], read_answer: bool) -> Option<String> {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(head.as_bytes()).unwrap();
    for p in pieces {
        if conn.write_all(p).is_err() {
            break;
        }
    }
    if !read_answer {
        return None;
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer).to_string();
    text.lines().next().map(str::to_owned)
}

async fn scenario(s: &Server, blobs: &Path) {
    let t = s.ticket(ALICE, "screenshot of the error").await;
    let shot = png(3);

    // Upload: on no message yet, only its uploader may fetch it.
    let up = uploaded(s, ALICE, EMP, t, "Fehler – Bildschirm.png", &shot).await;
    assert_eq!(up["content_type"], "image/png");
    assert_eq!(up["size"], shot.len());
    assert_eq!(up["sha256"], hex_sha256(&shot));
    assert_eq!(up["name"], "Fehler – Bildschirm.png");
    let id = up["id"].as_i64().unwrap();
    let url = up["url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{EMP}/{t}/attachments/{id}"));
    assert_eq!(get(s, ALICE, &url).await.0, 200);
    assert_eq!(get(s, SAM, &url).await.0, 404);

    // Attach it: the message carries the server's metadata.
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "see the screenshot", "attachments": [id]})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let a = &v["data"]["attachments"][0];
    assert_eq!(a["id"], id);
    assert_eq!(a["url"], url.as_str());
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["size"], shot.len());
    // Once attached, it cannot go on another message.
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "again", "attachments": [id]})),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    assert!(v["errors"]["attachments.0"].is_array(), "{v}");

    // Download: the owner and staff; never another employee.
    for who in [ALICE, SAM] {
        let (st, h, body) = get(s, who, &url).await;
        assert_eq!(st, 200);
        assert_eq!(body, shot);
        assert_eq!(header(&h, "content-type"), "image/png");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert!(
            header(&h, "content-security-policy").starts_with("sandbox"),
            "{h:?}"
        );
        let disposition = header(&h, "content-disposition");
        assert!(
            disposition.starts_with("inline; filename=\"Fehler _ Bildschirm.png\""),
            "{disposition}"
        );
        assert!(
            disposition.ends_with("filename*=UTF-8''Fehler%20%E2%80%93%20Bildschirm.png"),
            "{disposition}"
        );
    }
    assert_eq!(get(s, BOB, &url).await.0, 404);
    assert_eq!(
        get(s, ALICE, &format!("{EMP}/{t}/attachments/abc")).await.0,
        404
    );

    // An internal note's file: staff only.
    let doc = uploaded(s, SAM, ADM, t, "contract.pdf", PDF).await;
    assert_eq!(doc["content_type"], "application/pdf");
    let (st, v) = s
        .call(
            "POST",
            &format!("{ADM}/{t}/comment"),
            Some(SAM),
            Some(json!({"content": "contract attached", "is_internal": true, "attachments": [doc["id"]]})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let doc_url = doc["url"].as_str().unwrap();
    assert_eq!(get(s, ALICE, doc_url).await.0, 404);
    let (st, h, body) = get(s, ADA, doc_url).await;
    assert_eq!((st, body.as_slice()), (200, PDF));
    assert!(
        header(&h, "content-disposition").starts_with("attachment; "),
        "{h:?}"
    );
    // Alice's thread shows no trace of it.
    let (_, v) = s
        .call("GET", &format!("{EMP}/{t}"), Some(ALICE), None)
        .await;
    assert!(!v.to_string().contains("contract.pdf"), "{v}");

    // Types come from the bytes.
    let (st, v) = upload(
        s,
        ALICE,
        EMP,
        t,
        "setup.exe",
        "application/octet-stream",
        b"MZ\x90\0\x03\0\0\0\x04\0",
    )
    .await;
    assert_eq!(st, 422, "{v}");
    assert!(v["errors"]["file"].is_array(), "{v}");
    let (st, v) = upload(s, ALICE, EMP, t, "cat.png", "image/png", PDF).await;
    assert_eq!(st, 422, "a PDF claiming to be an image: {v}");
    let (st, v) = upload(
        s,
        ALICE,
        EMP,
        t,
        "logo.svg",
        "image/svg+xml",
        b"<svg onload=alert(1)/>",
    )
    .await;
    assert_eq!(st, 422, "{v}");
    let (st, v) = upload(
        s,
        ALICE,
        EMP,
        t,
        "notes.txt",
        "text/plain",
        "plain words\n".as_bytes(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = s
        .raw(
            "POST",
            &format!("{EMP}/{t}/attachments"),
            ALICE,
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(st, 415, "{v}");

    // Someone else's upload, or one of another ticket: 422 on its index.
    let bobs = s.ticket(BOB, "bob's").await;
    let bob_file = uploaded(s, BOB, EMP, bobs, "b.png", &png(5)).await;
    let other = s.ticket(ALICE, "another").await;
    let elsewhere = uploaded(s, ALICE, EMP, other, "o.png", &png(7)).await;
    for ids in [json!([bob_file["id"]]), json!([elsewhere["id"]])] {
        let (st, v) = s
            .call(
                "POST",
                &format!("{EMP}/{t}/chat"),
                Some(ALICE),
                Some(json!({"message": "x", "attachments": ids})),
            )
            .await;
        assert_eq!(st, 422, "{v}");
        assert!(v["errors"]["attachments.0"].is_array(), "{v}");
    }
    // Bob cannot even upload to Alice's ticket.
    let (st, _) = upload(s, BOB, EMP, t, "b.png", "image/png", &png(5)).await;
    assert_eq!(st, 404);

    // The same content twice: two uploads, one object.
    let again = uploaded(s, ALICE, EMP, t, "copy.png", &shot).await;
    assert_ne!(again["id"], id);
    assert_eq!(again["sha256"], up["sha256"]);
    let sha = hex_sha256(&shot);
    let copies: Vec<String> = files(blobs)
        .into_iter()
        .filter(|f| f.contains(&sha))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");

    // Over the limit by Content-Length: 413 before the body is read.
    let big = vec![b'a'; MAX + 64 * 1024];
    let (st, _) = upload(s, ALICE, EMP, t, "big.txt", "text/plain", &big).await;
    assert_eq!(st, 413);
    let head = format!(
        "POST {EMP}/{t}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 100000000\r\n\r\n"
    );
    assert_eq!(
        raw_upload(s, &head, &[], true).as_deref(),
        Some("HTTP/1.1 413 Payload Too Large")
    );

    // Over the limit mid-stream (chunked, no length): 413 as soon as it passes, though the
    // body never ends; the temporary object is gone.
    let head = format!(
        "POST {EMP}/{t}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunk = |bytes: &[u8]| {
        let mut c = format!("{:x}\r\n", bytes.len()).into_bytes();
        c.extend_from_slice(bytes);
        c.extend_from_slice(b"\r\n");
        c
    };
    let preamble = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"stream.txt\"\r\n\r\n"
    );
    let mut pieces = vec![chunk(preamble.as_bytes())];
    pieces.extend((0..(MAX / 16384 + 4)).map(|_| chunk(&[b'z'; 16384])));
    assert_eq!(
        raw_upload(s, &head, &pieces, true).as_deref(),
        Some("HTTP/1.1 413 Payload Too Large")
    );

    // Interrupted: the client goes away mid-body; nothing is left behind.
    let head = format!(
        "POST {EMP}/{t}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 200000\r\n\r\n"
    );
    let preamble = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.txt\"\r\n\r\n"
    );
    raw_upload(
        s,
        &head,
        &[preamble.into_bytes(), vec![b'q'; 100_000]],
        false,
    );
    let mut left = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = files(blobs)
            .into_iter()
            .filter(|f| f.starts_with("tmp"))
            .collect();
        if left.is_empty() {
            break;
        }
    }
    assert!(left.is_empty(), "temporary objects left behind: {left:?}");
    let stored = files(blobs);
    assert!(
        stored.iter().all(|f| f.starts_with("sha256/")),
        "{stored:?}"
    );
}

/// Uploads nobody attached are removed after the TTL, with their content unless another
/// upload still has it.
async fn collected(s: &Server, blobs: &Path) {
    let t = s.ticket(ALICE, "leftovers").await;
    let kept = uploaded(s, ALICE, EMP, t, "kept.png", &png(11)).await;
    let twin = uploaded(s, ALICE, EMP, t, "twin.png", &png(11)).await;
    let lone = uploaded(s, ALICE, EMP, t, "lone.png", &png(13)).await;
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "kept", "attachments": [kept["id"]]})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let lone_sha = lone["sha256"].as_str().unwrap().to_owned();
    let mut gone = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let url = lone["url"].as_str().unwrap();
        if get(s, ALICE, url).await.0 == 404
            && get(s, ALICE, twin["url"].as_str().unwrap()).await.0 == 404
        {
            gone = true;
            break;
        }
    }
    assert!(gone, "unattached uploads were not collected");
    let left = files(blobs);
    assert!(!left.iter().any(|f| f.contains(&lone_sha)), "{left:?}");
    let (st, _, body) = get(s, ALICE, kept["url"].as_str().unwrap()).await;
    assert_eq!((st, body), (200, png(11)));
    // Too late to attach the collected one.
    let (st, _) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "late", "attachments": [twin["id"]]})),
        )
        .await;
    assert_eq!(st, 422);
}

fn limit_flags() -> Vec<String> {
    vec![
        "--no-rate-limits".into(),
        "--max-upload-bytes".into(),
        MAX.to_string(),
    ]
}

fn gc_flags() -> [&'static str; 4] {
    ["--upload-ttl", "1s", "--upload-gc-interval", "1s"]
}

fn args(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_files_beside_the_database_go_only_to_who_may_see_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &args(&limit_flags()));
    scenario(&s, &dir.path().join("support.db.attachments")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_unattached_uploads_are_collected() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let mut flags = limit_flags();
    flags.extend(gc_flags().map(String::from));
    let s = start_with_args(dir.path(), 0, &db, &args(&flags));
    collected(&s, &dir.path().join("support.db.attachments")).await;
}

fn pg_flags(blobs: &Path, gc: bool) -> Vec<String> {
    let mut flags = limit_flags();
    flags.push("--attachments-url".into());
    flags.push(blobs.display().to_string());
    if gc {
        flags.extend(gc_flags().map(String::from));
    }
    flags
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn on_postgres_files_go_only_to_who_may_see_them() {
    common::postgres_probe_still_holds();
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let blobs: PathBuf = dir.path().join("blobs");
    let s = start_with_args(dir.path(), 0, &db.url(), &args(&pg_flags(&blobs, false)));
    scenario(&s, &blobs).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn on_postgres_unattached_uploads_are_collected() {
    common::postgres_probe_still_holds();
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let blobs: PathBuf = dir.path().join("blobs");
    let s = start_with_args(dir.path(), 0, &db.url(), &args(&pg_flags(&blobs, true)));
    collected(&s, &blobs).await;
}
