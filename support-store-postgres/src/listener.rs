//! [`PgListener`]: each node's end of the NOTIFY bus, feeding the node's [`Fanout`].

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener as SqlxListener;
use support_core::{Envelope, Fanout, Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::broadcaster::{DEFAULT_CHANNEL, check_channel};
use crate::connect;
use crate::error::{from_sqlx, timed_out};
use crate::store::PgStore;
use crate::wire::Notice;

/// Options for [`PgListener::start_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerOptions {
    /// The NOTIFY channel; the same as the nodes' [`PgBroadcaster`](crate::PgBroadcaster)s
    /// publish on. Default `support_events`.
    pub channel: String,
    /// After this long without a notification the listener checks that its connection is
    /// still alive with a round trip, so a connection that died silently is noticed within
    /// about this time. Default 10 s.
    pub idle_check: Duration,
    /// The longest pause between reconnection attempts; they start at 50 ms and double.
    /// Default 2 s.
    pub max_retry_delay: Duration,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        ListenerOptions {
            channel: DEFAULT_CHANNEL.to_owned(),
            idle_check: Duration::from_secs(10),
            max_retry_delay: Duration::from_secs(2),
        }
    }
}

/// What a listener is doing, for health checks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenerStatus {
    /// True while its connection is up and listening.
    pub listening: bool,
    /// How many times it has lost its connection and listened again.
    pub reconnects: u64,
    /// How many times it has told the fan-out to resync (after each reconnection, and for
    /// each notification it could not read).
    pub resyncs: u64,
}

/// Listens on the NOTIFY channel on its own connection and delivers every event to this
/// node's [`Fanout`]: on a server the websocket transport's `Hub`, so every event reaches
/// the websocket clients connected to this node. Run exactly one per fan-out, on every node,
/// the one that publishes included.
///
/// # Reconnection and resync
///
/// Notifications sent while a listener is disconnected are lost to it: Postgres queues them
/// only for sessions that are listening. So when its connection drops (or silently stops
/// answering, which [`ListenerOptions::idle_check`] detects), the listener reconnects with
/// backoff and, as soon as it is listening again, calls [`Fanout::resync`]: the websocket
/// `Hub` closes its connections with 4200, so clients reconnect and catch up from the store
/// with `messages?after=`; with a [`MemoryBroadcaster`](support_core::MemoryBroadcaster)
/// every subscriber's next `recv` returns [`Missed::Resync`](support_core::Missed::Resync).
/// Nothing is missed silently. The same happens when a notification cannot be read, or the
/// outbox row of a large event is gone.
///
/// The task stops when the `PgListener` is dropped or [`stop`](PgListener::stop)ped.
pub struct PgListener {
    status: watch::Receiver<ListenerStatus>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PgListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgListener")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

impl Drop for PgListener {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// `support_bus_listener_reconnects_total`: the listener lost its connection and listened
/// again (the name `support_transport_ws::metrics` documents).
const RECONNECTS: &str = "support_bus_listener_reconnects_total";
/// `support_bus_listener_resyncs_total`: it told the fan-out to resync.
const RESYNCS: &str = "support_bus_listener_resyncs_total";

/// What the background task works with.
struct Context {
    /// Only the listener's connection: its lifetime is the listening session's, independent
    /// of the store's pool and its idle and lifetime limits.
    listen_pool: PgPool,
    /// The store's pool, for reading outbox rows.
    store_pool: PgPool,
    call_timeout: Duration,
    options: ListenerOptions,
    fanout: Arc<dyn Fanout>,
    status: watch::Sender<ListenerStatus>,
}

/// Why a listening session ended.
enum Ended {
    Stopped,
    Lost,
}

impl PgListener {
    /// Starts listening on the default channel with the database of `store`, delivering to
    /// `fanout`. Returns once the listener is listening, so nothing published after this
    /// returns is missed; fails with `Unavailable` if the database cannot be reached.
    pub async fn start(store: &PgStore, fanout: impl Fanout) -> Result<Self> {
        Self::start_with(store, fanout, ListenerOptions::default()).await
    }

    /// [`PgListener::start`] with explicit options.
    pub async fn start_with(
        store: &PgStore,
        fanout: impl Fanout,
        options: ListenerOptions,
    ) -> Result<Self> {
        check_channel(&options.channel)?;
        let shared = store.shared();
        // Room for a second connection: a session that went silent may take a while to give
        // its connection back, and the new session must not wait for it. The spare one, if
        // any, is closed when it has been idle for a while.
        let listen_pool = connect::pool_options(&shared.options, 2)
            .max_lifetime(None)
            .idle_timeout(Duration::from_secs(30))
            .connect_lazy_with(shared.connect.clone());
        let (status_tx, status) = watch::channel(ListenerStatus::default());
        let (stop, stop_rx) = watch::channel(false);
        let ctx = Context {
            listen_pool,
            store_pool: store.pool().clone(),
            call_timeout: shared.options.call_timeout,
            options,
            fanout: Arc::new(fanout),
            status: status_tx,
        };
        let first = ctx.listen().await?;
        ctx.status.send_modify(|s| s.listening = true);
        // Exported from the start, at zero, with whatever recorder the application installed.
        metrics::counter!(RECONNECTS).increment(0);
        metrics::counter!(RESYNCS).increment(0);
        tracing::debug!(channel = %ctx.options.channel, "NOTIFY listener listening");
        let task = tokio::spawn(ctx.run(first, stop_rx));
        Ok(PgListener {
            status,
            stop,
            task: Some(task),
        })
    }

    /// What the listener is doing now.
    pub fn status(&self) -> ListenerStatus {
        *self.status.borrow()
    }

    /// Stops listening and waits for the task to finish.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            // The task only ends by returning; a panic in it has been logged by tokio.
            let _ = task.await;
        }
    }
}

impl Context {
    /// A new session, listening.
    async fn listen(&self) -> Result<SqlxListener> {
        let connect = async {
            let mut listener = SqlxListener::connect_with(&self.listen_pool)
                .await
                .map_err(from_sqlx)?;
            // A dropped connection is reported to `run`, which decides when to reconnect.
            listener.eager_reconnect(false);
            listener
                .listen(&self.options.channel)
                .await
                .map_err(from_sqlx)?;
            Ok(listener)
        };
        tokio::time::timeout(self.call_timeout, connect)
            .await
            .unwrap_or_else(|_| Err(timed_out("LISTEN")))
    }

    /// Delivers until told to stop, reconnecting whenever the session is lost. `stop` is
    /// separate from `self` so waiting for it can race against calls that borrow `self`.
    async fn run(self, first: SqlxListener, mut stop: watch::Receiver<bool>) {
        let mut session = first;
        loop {
            if let Ended::Stopped = self.pump(&mut session, &mut stop).await {
                return;
            }
            drop(session);
            self.status.send_modify(|s| s.listening = false);
            session = match self.reconnect(&mut stop).await {
                Some(s) => s,
                None => return,
            };
            self.status.send_modify(|s| {
                s.listening = true;
                s.reconnects += 1;
            });
            metrics::counter!(RECONNECTS).increment(1);
            tracing::info!(
                reconnects = self.status.borrow().reconnects,
                "NOTIFY listener reconnected"
            );
            // Listening again: whatever was published while this node was away is lost to it.
            self.resync("reconnected");
        }
    }

    /// Reconnects with backoff; `None` if told to stop meanwhile.
    async fn reconnect(&self, stop: &mut watch::Receiver<bool>) -> Option<SqlxListener> {
        let mut delay = Duration::from_millis(50);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let attempt = tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return None,
                attempt = async {
                    tokio::time::sleep(delay).await;
                    self.listen().await
                } => attempt,
            };
            match attempt {
                Ok(session) => return Some(session),
                Err(e) => {
                    tracing::warn!(error = %e, attempts, "NOTIFY listener could not reconnect yet")
                }
            }
            delay = (delay * 2).min(self.options.max_retry_delay);
        }
    }

    /// Delivers notifications until the session ends.
    async fn pump(&self, session: &mut SqlxListener, stop: &mut watch::Receiver<bool>) -> Ended {
        loop {
            let next = tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return Ended::Stopped,
                next = tokio::time::timeout(self.options.idle_check, session.try_recv()) => next,
            };
            match next {
                Ok(Ok(Some(notification))) => self.deliver(notification.payload()).await,
                Ok(Ok(None)) => {
                    tracing::warn!("NOTIFY listener lost its connection");
                    connect::note_connection_failure();
                    return Ended::Lost;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "NOTIFY listener failed");
                    connect::note_connection_failure();
                    return Ended::Lost;
                }
                // Quiet for a while: make sure the session is still there. Dropping
                // `try_recv` is safe, it only ever consumes whole messages, and a
                // notification arriving during the check is buffered for the next one.
                Err(_) => {
                    let check = sqlx::query("SELECT 1").execute(&mut *session);
                    match tokio::time::timeout(self.call_timeout, check).await {
                        Ok(Ok(_)) => {}
                        _ => {
                            tracing::warn!("NOTIFY listener's connection stopped answering");
                            connect::note_connection_failure();
                            return Ended::Lost;
                        }
                    }
                }
            }
        }
    }

    async fn deliver(&self, payload: &str) {
        let envelope = match Notice::parse(payload) {
            Ok(Notice::Event(envelope)) => Ok(*envelope),
            Ok(Notice::Outbox(id)) => self.outbox(id).await,
            Err(e) => Err(e),
        };
        match envelope.and_then(Envelope::into_dispatch) {
            Ok(dispatch) => self.fanout.deliver(dispatch),
            Err(e) => {
                tracing::warn!(error = %e, payload, "unreadable NOTIFY event");
                self.resync("unreadable event");
            }
        }
    }

    /// Reads a large event from the outbox. Holding up the notifications behind it keeps the
    /// channel's order.
    async fn outbox(&self, id: i64) -> Result<Envelope> {
        let read =
            sqlx::query_scalar::<_, String>("SELECT payload FROM broadcast_outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.store_pool);
        let row = tokio::time::timeout(self.call_timeout, read)
            .await
            .unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut))
            .map_err(from_sqlx)?;
        let payload =
            row.ok_or_else(|| support_core::Error::backend(format!("outbox row {id} is gone")))?;
        Envelope::from_json(&payload)
    }

    fn resync(&self, why: &str) {
        tracing::info!(why, "telling this node's subscribers to catch up");
        self.status.send_modify(|s| s.resyncs += 1);
        metrics::counter!(RESYNCS).increment(1);
        self.fanout.resync();
    }
}
