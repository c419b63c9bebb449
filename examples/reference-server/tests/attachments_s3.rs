//! Attachments on a real S3 API: moto's S3 server (`moto[server]`, PyPI), started here on a
//! free port, configured by `--attachments-url s3://bucket/prefix` and the usual AWS_*
//! variables. An upload larger than one multipart part round-trips, the same content is one
//! object, an interrupted upload leaves no object and no open multipart upload, and the
//! collector deletes the content of an upload nobody attached.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use test_prereqs::Prereq;

const EMP: &str = "/api/employee/portal/support";
const BOUNDARY: &str = "----s3-test-boundary";
const BUCKET: &str = "support-files";

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto's server on a free port, with the bucket made.
async fn moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(&moto.url).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let made = http
        .put(format!("{}/{BUCKET}", moto.url))
        .send()
        .await
        .expect("moto answers");
    assert!(made.status().is_success(), "{:?}", made.text().await);
    moto
}

/// The bucket's keys under `prefix`, and its multipart uploads still open.
async fn listing(moto: &Moto, prefix: &str) -> (Vec<String>, String) {
    let http = reqwest::Client::new();
    let keys = http
        .get(format!("{}/{BUCKET}?list-type=2&prefix={prefix}", moto.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys = keys
        .split("<Key>")
        .skip(1)
        .map(|k| k.split("</Key>").next().unwrap().to_owned())
        .collect();
    let uploads = http
        .get(format!("{}/{BUCKET}?uploads", moto.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (keys, uploads)
}

fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(s: &Server, t: i64, name: &str, bytes: &[u8]) -> Value {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let (st, text) = s
        .raw(
            "POST",
            &format!("{EMP}/{t}/attachments"),
            ALICE,
            &[("content-type", &ct)],
            multipart(name, bytes),
        )
        .await;
    assert_eq!(st, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
}

/// A PNG of `len` bytes: the signature, then a pattern.
fn png(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..len - bytes.len()).map(|i| (i as u8) ^ seed));
    bytes
}

fn env(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", moto.url.clone()),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_moto, ignore = "needs python3 on PATH with moto[server] installed")]
async fn files_live_in_an_s3_bucket() {
    Prereq::Moto.assert_still_as_built(cfg!(no_moto), env!("TEST_PREREQS_STAMP"));
    let moto = moto().await;
    let vars = env(&moto);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_env(
        dir.path(),
        0,
        &db,
        &[
            "--no-rate-limits",
            "--attachments-url",
            &format!("s3://{BUCKET}/files"),
        ],
        &vars,
    );
    let t = s.ticket(ALICE, "big screenshot").await;

    // Larger than one 5 MiB part: a multipart upload of two parts.
    let big = png(6 * 1024 * 1024 + 123, 7);
    let up = upload(&s, t, "big.png", &big).await;
    let sha = format!("{:x}", Sha256::digest(&big));
    assert_eq!(up["sha256"], sha.as_str());
    let (st, v) = s
        .call(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some(ALICE),
            Some(json!({"message": "see", "attachments": [up["id"]]})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let res = s
        .http
        .get(format!("{}{}", s.base, up["url"].as_str().unwrap()))
        .bearer_auth(SAM)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), big);
    let res = s
        .http
        .get(format!("{}{}", s.base, up["url"].as_str().unwrap()))
        .bearer_auth(BOB)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The same content again: one object, at its content address under the prefix.
    upload(&s, t, "again.png", &big).await;
    let (keys, _) = listing(&moto, "files/").await;
    assert_eq!(
        keys,
        [format!("files/sha256/{}/{sha}", &sha[..2])],
        "{keys:?}"
    );

    // Interrupted after more than a part: no object, no open multipart upload.
    let preamble = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.png\"\r\n\r\n"
    );
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    write!(
        conn,
        "POST {EMP}/{t}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 9000000\r\n\r\n{preamble}"
    )
    .unwrap();
    conn.write_all(&png(6 * 1024 * 1024, 9)).unwrap();
    let mut open = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if listing(&moto, "files/").await.1.contains("<Upload>") {
            open = true;
            break;
        }
    }
    assert!(
        open,
        "the interrupted upload was under way as a multipart upload"
    );
    drop(conn);
    let mut clean = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (keys, uploads) = listing(&moto, "files/").await;
        if keys.len() == 1 && !uploads.contains("<Upload>") {
            clean = true;
            break;
        }
    }
    assert!(clean, "left behind: {:?}", listing(&moto, "files/").await);
    drop(s);

    // The collector: an upload nobody attached goes, its object with it.
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_env(
        dir.path(),
        0,
        &db,
        &[
            "--no-rate-limits",
            "--attachments-url",
            &format!("s3://{BUCKET}/gc"),
            "--upload-ttl",
            "1s",
            "--upload-gc-interval",
            "1s",
        ],
        &vars,
    );
    let t = s.ticket(ALICE, "never sent").await;
    upload(&s, t, "lone.png", &png(5000, 3)).await;
    assert_eq!(listing(&moto, "gc/").await.0.len(), 1);
    let mut gone = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if listing(&moto, "gc/").await.0.is_empty() {
            gone = true;
            break;
        }
    }
    assert!(gone, "{:?}", listing(&moto, "gc/").await);
}
