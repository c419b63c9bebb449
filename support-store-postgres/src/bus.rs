//! [`PgBus`]: LISTEN/NOTIFY as a [`Bus`], the broadcaster and the listener joined in one.

use std::sync::Arc;

use async_trait::async_trait;
use support_core::{Bus, BusListener, BusNode, Fanout, Result};

use crate::broadcaster::PgBroadcaster;
use crate::listener::{ListenerOptions, PgListener};
use crate::store::PgStore;

/// PostgreSQL's LISTEN/NOTIFY as the [`Bus`] between nodes on one database: joining it
/// starts a [`PgListener`] feeding this node's fan-out and hands back the [`PgBroadcaster`]
/// the node's service publishes through, both on one NOTIFY channel. Give it to
/// `support_transport_ws::SupportChat::builder(…).bus(…)` on every node, which joins it with
/// the node's websocket `Hub`.
///
/// ```no_run
/// use support_store_postgres::{PgBus, PgStore};
///
/// # async fn run() -> support_core::Result<()> {
/// let store = PgStore::connect("postgres://support@db.internal/support").await?;
/// let bus = PgBus::new(&store); // on the store's database, channel `support_events`
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PgBus {
    store: PgStore,
    broadcaster: PgBroadcaster,
    options: ListenerOptions,
}

impl PgBus {
    /// The bus on `store`'s database, on the default channel.
    pub fn new(store: &PgStore) -> Self {
        PgBus {
            store: store.clone(),
            broadcaster: PgBroadcaster::new(store),
            options: ListenerOptions::default(),
        }
    }

    /// The bus with explicit listener options; both halves use `options.channel`. Fails
    /// with a field error on `channel` if the channel name is not a valid NOTIFY channel.
    pub fn with_options(store: &PgStore, options: ListenerOptions) -> Result<Self> {
        Ok(PgBus {
            store: store.clone(),
            broadcaster: PgBroadcaster::with_channel(store, &options.channel)?,
            options,
        })
    }
}

#[async_trait]
impl Bus for PgBus {
    type Listener = PgListener;

    async fn join(&self, fanout: Arc<dyn Fanout>) -> Result<BusNode<PgListener>> {
        let listener = PgListener::start_with(&self.store, fanout, self.options.clone()).await?;
        Ok(BusNode {
            publisher: Arc::new(self.broadcaster.clone()),
            listener,
        })
    }
}

#[async_trait]
impl BusListener for PgListener {
    async fn stop(self) {
        PgListener::stop(self).await;
    }
}
