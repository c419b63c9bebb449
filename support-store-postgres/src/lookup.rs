//! Ticket lookups, coalesced.
//!
//! Every request about a ticket starts by reading it (the service checks who may see it), so
//! under load most queries are `SELECT … WHERE id = $1`. While many are in flight, those beyond
//! the first few are answered together by one `WHERE id = ANY($1)` ([`Lanes`]): one round trip
//! for all of them. A lookup is only ever answered by a query that started after it was asked,
//! so it sees every write that committed before it was asked, as a query of its own would.

use std::collections::HashMap;

use sqlx::{PgExecutor, PgPool};
use support_core::{Error, Result, Ticket, TicketId};
use tokio::sync::oneshot;

use crate::error::from_sqlx;
use crate::lanes::Lanes;
use crate::row::{self, TICKET_COLUMNS};

struct Job {
    id: TicketId,
    reply: oneshot::Sender<Result<Option<Ticket>>>,
}

/// Ticket lookups: each its own query while few are in flight, coalesced beyond that.
#[derive(Debug, Clone)]
pub(crate) struct TicketLookup {
    pool: PgPool,
    lanes: Lanes<Job>,
}

impl TicketLookup {
    /// Starts the lanes on the current runtime. They end when the last handle is dropped.
    pub(crate) fn spawn(pool: PgPool, lanes: usize) -> Self {
        let reader = pool.clone();
        let lanes = Lanes::spawn(lanes, move |jobs: Vec<Job>| {
            let pool = reader.clone();
            async move { answer(&pool, jobs).await }
        });
        TicketLookup { pool, lanes }
    }

    /// The ticket, if it exists.
    pub(crate) async fn get(&self, id: TicketId) -> Result<Option<Ticket>> {
        if let Some(_running) = self.lanes.direct() {
            return select_ticket(&self.pool, id).await;
        }
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Unavailable("the store's lookup lanes have stopped".into());
        if !self.lanes.queue(Job { id, reply }).await {
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }
}

/// One ticket by its id.
pub(crate) async fn select_ticket(ex: impl PgExecutor<'_>, id: TicketId) -> Result<Option<Ticket>> {
    let row = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM ticket_rows WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(ex)
    .await
    .map_err(from_sqlx)?;
    row.as_ref().map(row::ticket).transpose()
}

/// An error for each of several callers: the kinds that matter to them, with the message.
fn copy(e: &Error) -> Error {
    match e {
        Error::NotFound => Error::NotFound,
        Error::Unavailable(m) => Error::Unavailable(m.clone()),
        Error::Conflict(m) => Error::Conflict(m.clone()),
        other => Error::backend(other.to_string()),
    }
}

/// Reads the tickets of a batch. A row that does not decode fails only the lookups of it.
///
/// The ids reach the query through `p`, which the planner does not look into, so that one
/// plan serves every batch size; with the array in plain sight Postgres would plan the query
/// again for every batch (see `APPEND_BATCH` in `append.rs`).
async fn read(pool: &PgPool, ids: &[i64]) -> Result<HashMap<i64, Result<Ticket>>> {
    let rows = sqlx::query(&format!(
        "WITH p AS MATERIALIZED (SELECT $1::bigint[] AS ids) \
         SELECT {TICKET_COLUMNS} FROM p, ticket_rows WHERE id = ANY (p.ids)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(from_sqlx)?;
    let mut found = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = sqlx::Row::try_get(r, "id").map_err(from_sqlx)?;
        found.insert(id, row::ticket(r));
    }
    Ok(found)
}

/// Answers a batch of lookups with one query.
async fn answer(pool: &PgPool, mut jobs: Vec<Job>) {
    let mut ids: Vec<i64> = jobs.iter().map(|j| j.id.get()).collect();
    ids.sort_unstable();
    ids.dedup();
    match read(pool, &ids).await {
        Ok(found) => {
            for job in jobs.drain(..) {
                let answer = match found.get(&job.id.get()) {
                    None => Ok(None),
                    Some(Ok(ticket)) => Ok(Some(ticket.clone())),
                    Some(Err(e)) => Err(copy(e)),
                };
                // The caller may have given up: nothing to tell then.
                let _ = job.reply.send(answer);
            }
        }
        Err(e) => {
            for job in jobs.drain(..) {
                let _ = job.reply.send(Err(copy(&e)));
            }
        }
    }
}
