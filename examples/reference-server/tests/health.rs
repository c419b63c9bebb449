//! `/health` answers 503 while the database is unreachable and 200 again once it is back,
//! with no restart. The database is cut off by a TCP proxy inside the test, not by stopping
//! the machine's PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;

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
