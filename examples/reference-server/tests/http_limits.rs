//! The binary bounds its HTTP waits: a request head that stalls (slowloris) is closed within
//! `--header-timeout`, on a new connection and on a keep-alive one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server ends the connection; the time since `since`. Panics after `limit`.
async fn closed(stream: &mut TcpStream, since: Instant, limit: Duration) -> Duration {
    let mut buf = [0u8; 4096];
    let until_closed = async {
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(limit, until_closed)
        .await
        .unwrap_or_else(|_| panic!("still open {limit:?} later"));
    since.elapsed()
}

#[tokio::test]
async fn a_request_head_that_stalls_is_closed_within_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(
        dir.path(),
        0,
        &db,
        &["--header-timeout", "1", "--idle-timeout", "60"],
    );
    let addr = s.base.strip_prefix("http://").unwrap().to_owned();
    let within = Duration::from_secs(4);

    // A header line begun and never ended, as the first request.
    let mut first = TcpStream::connect(&addr).await.unwrap();
    first
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\nx-slow: a")
        .await
        .unwrap();
    let took = closed(&mut first, Instant::now(), within).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");

    // The same after a request answered on a keep-alive connection (the idle timeout is a
    // minute: the header timeout closes it).
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 12];
    kept.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    kept.write_all(b"GET /health HTTP/1.1\r\nhost: te")
        .await
        .unwrap();
    closed(&mut kept, Instant::now(), within).await;
}
