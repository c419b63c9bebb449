//! [`PgBroadcaster`]: publishing events to every node through `pg_notify`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgPool;
use support_core::{Broadcaster, Dispatch, Error, Result};

use crate::error::{from_sqlx, timed_out};
use crate::store::PgStore;
use crate::wire::Outgoing;

/// The NOTIFY channel used unless another is chosen. Notifications are scoped to one
/// database, so deployments on separate databases never hear each other.
pub(crate) const DEFAULT_CHANNEL: &str = "support_events";

/// How long an outbox row is kept. A listener reads it within milliseconds of the
/// notification; a listener further behind than this resyncs its subscribers anyway.
const OUTBOX_RETENTION: &str = "10 minutes";

/// The [`Broadcaster`] to give the service on every node: it publishes each event with
/// `pg_notify`, and every node's [`PgListener`](crate::PgListener) (the publishing node's
/// included) delivers it to that node's subscribers.
///
/// # Delivery
///
/// - **One path.** `publish` delivers nothing locally. Local subscribers get the event from
///   their own node's listener like everyone else, so no node can deliver an event twice,
///   and every node delivers the events of a channel in the same order: the order in which
///   the notifications committed.
/// - **Any size.** An event whose encoding fits a notification (under 8000 bytes) travels
///   in it. A larger one, such as a 2000-character emoji message, is written to the
///   `broadcast_outbox` table and the notification carries the row's id, in one statement,
///   so the row is visible to the listeners the moment they are notified.
/// - **`toOthers()`.** The socket to leave out travels with the event, and each node's hub
///   skips it, whichever node that socket is connected to.
/// - **Notices.** A [`Dispatch::DisconnectUser`] (a user's access was revoked) travels the
///   same way and reaches every node's hub, which closes that user's connections with 4009.
///   A node whose listener was disconnected at that moment resyncs when it is back, which
///   closes every connection there (4200), the revoked user's included.
/// - **Presence.** Each node's hub publishes its presence changes and, every few seconds, a
///   snapshot of its members ([`Dispatch::Presence`]) through it too, so that presence
///   channels have every node's members; a snapshot too large for a notification goes
///   through the outbox like any large event.
/// - **Failures.** A publish while the database is unreachable fails with
///   [`Error::Unavailable`](support_core::Error::Unavailable) within the store's bounds; the
///   service logs it, and clients catch up from the store.
#[derive(Clone)]
pub struct PgBroadcaster {
    pool: PgPool,
    channel: Arc<str>,
    call_timeout: Duration,
}

impl std::fmt::Debug for PgBroadcaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBroadcaster")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Checks a NOTIFY channel name: Postgres limits identifiers to 63 bytes, and `pg_notify`
/// refuses longer ones while `LISTEN` would silently truncate them.
pub(crate) fn check_channel(channel: &str) -> Result<()> {
    if channel.is_empty() || channel.len() > 63 || channel.contains('\0') {
        return Err(Error::invalid(
            "channel",
            "The channel must be 1 to 63 bytes without NUL.",
        ));
    }
    Ok(())
}

impl PgBroadcaster {
    /// Publishes on the default channel through `store`'s connection pool.
    pub fn new(store: &PgStore) -> Self {
        PgBroadcaster {
            pool: store.pool().clone(),
            channel: Arc::from(DEFAULT_CHANNEL),
            call_timeout: store.shared().options.call_timeout,
        }
    }

    /// Publishes on `channel`, which every node's listener must use too
    /// ([`ListenerOptions::channel`](crate::ListenerOptions::channel)). Several deployments
    /// may share one database on different channels.
    pub fn with_channel(store: &PgStore, channel: &str) -> Result<Self> {
        check_channel(channel)?;
        Ok(PgBroadcaster {
            channel: Arc::from(channel),
            ..Self::new(store)
        })
    }

    async fn send(&self, b: &Dispatch) -> Result<()> {
        let sent = match Outgoing::of(b)? {
            Outgoing::Inline(payload) => {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&*self.channel)
                    .bind(payload)
                    .execute(&self.pool)
                    .await
            }
            // One statement: the row commits together with the notification, so a listener
            // never looks for a row that is not there yet. Expired rows go in the same trip.
            Outgoing::Outbox(envelope) => {
                sqlx::query(&format!(
                    "WITH expired AS ( \
                         DELETE FROM broadcast_outbox \
                         WHERE created_at < now() - interval '{OUTBOX_RETENTION}' \
                     ), stored AS ( \
                         INSERT INTO broadcast_outbox (payload) VALUES ($2) RETURNING id \
                     ) \
                     SELECT pg_notify($1, '{{\"outbox\":' || id || '}}') FROM stored"
                ))
                .bind(&*self.channel)
                .bind(envelope)
                .execute(&self.pool)
                .await
            }
        };
        sent.map(|_| ()).map_err(from_sqlx)
    }
}

#[async_trait]
impl Broadcaster for PgBroadcaster {
    async fn publish(&self, dispatch: Dispatch) -> Result<()> {
        tokio::time::timeout(self.call_timeout, self.send(&dispatch))
            .await
            .unwrap_or_else(|_| Err(timed_out("pg_notify")))
    }
}
