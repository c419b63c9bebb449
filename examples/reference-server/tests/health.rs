//! `/health` answers 503 while the database is unreachable and 200 again once it is back,
//! with no restart. The database is cut off by a TCP proxy inside the test, not by stopping
//! the machine's PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards to PostgreSQL until cut; while cut, drops every connection and refuses new ones.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    cut_tx: watch::Sender<u64>,
}

impl Proxy {
    async fn start(server: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let (cut_tx, cut_rx) = watch::channel(0u64);
        let accepting = open.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let mut cut = cut_rx.clone();
                let server = server.clone();
                // Only cuts after this connection opened concern it.
                cut.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&server).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { port, open, cut_tx }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut_tx.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

async fn health(s: &Server) -> u16 {
    match s.http.get(format!("{}/health", s.base)).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

async fn wait_for(s: &Server, status: u16, within: Duration) -> Duration {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if health(s).await == status {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/health did not answer {status} within {within:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn health_is_503_while_the_database_is_cut_off_and_recovers_by_itself() {
    let db = Database::create();
    let proxy = Proxy::start(db.server()).await;
    let url = db
        .url()
        .replace(&db.server(), &format!("127.0.0.1:{}", proxy.port));
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_db(dir.path(), 0, &url);
    assert_eq!(health(&s).await, 200);
    let t = s.ticket(ALICE, "before the cut").await;

    proxy.cut();
    wait_for(&s, 503, Duration::from_secs(15)).await;
    // The API says so too, quickly, instead of hanging.
    let started = std::time::Instant::now();
    let (st, _) = s
        .call(
            "GET",
            &format!("/api/employee/portal/support/{t}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(st, 503);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    proxy.restore();
    wait_for(&s, 200, Duration::from_secs(30)).await;
    let (st, v) = s
        .call(
            "GET",
            &format!("/api/employee/portal/support/{t}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
}

#[test]
fn postgres_probe_still_holds() {
    common::postgres_probe_still_holds();
}
