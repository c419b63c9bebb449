//! support-core's bus conformance suite against LISTEN/NOTIFY: every case on a database of
//! its own, its nodes each a store and the `PgBus` on it, as server processes behind a load
//! balancer are.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::TestDb;
use support_core::testing::bus::BusHarness;
use support_core::{Bus, BusListener, BusNode, Error, Fanout, Result};
use support_store_postgres::{ListenerOptions, PgBus, PgListener, PgStore};

/// One database as the bus, and the nodes started on it.
struct Harness {
    db: TestDb,
    nodes: AtomicU64,
}

/// A node's listener, and the `application_name` its sessions show, by which
/// [`Harness::cut`] finds the listener's session.
struct PgNode {
    listener: PgListener,
    name: String,
}

#[async_trait]
impl BusListener for PgNode {
    async fn stop(self) {
        self.listener.stop().await;
    }
}

/// Each node joins the `PgBus` of a store of its own, whose sessions show the node's name.
#[async_trait]
impl Bus for Harness {
    type Listener = PgNode;

    async fn join(&self, fanout: Arc<dyn Fanout>) -> Result<BusNode<PgNode>> {
        let name = format!("bus_node_{}", self.nodes.fetch_add(1, Ordering::Relaxed));
        let separator = if self.db.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}application_name={name}", self.db.url);
        let store = PgStore::connect_with(&url, common::test_options()).await?;
        // No idle checks during a case: the listener's session then shows `LISTEN` as its
        // last statement, which is how `cut` tells it from the pool's.
        let options = ListenerOptions {
            idle_check: Duration::from_secs(3600),
            ..ListenerOptions::default()
        };
        let node = PgBus::with_options(&store, options)?.join(fanout).await?;
        Ok(BusNode {
            publisher: node.publisher,
            listener: PgNode {
                listener: node.listener,
                name,
            },
        })
    }
}

#[async_trait]
impl BusHarness for Harness {
    async fn cut(&self, node: &BusNode<PgNode>) -> Result<()> {
        let mut admin = self.db.raw().await;
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = $1 \
               AND query LIKE 'LISTEN %'",
        )
        .bind(&node.listener.name)
        .fetch_all(&mut admin)
        .await
        .map_err(Error::backend)?;
        match ended.as_slice() {
            [true] => Ok(()),
            other => Err(Error::backend(format!(
                "expected to end one listening session of {}, ended {other:?}",
                node.listener.name
            ))),
        }
    }
}

// Every case's bus, on a database of its own.
support_core::bus_conformance_suite!(
    #[cfg_attr(
        no_postgres,
        ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
    )]
    async {
        Harness {
            db: TestDb::create().await,
            nodes: AtomicU64::new(0),
        }
    }
);
