//! Writing messages, and group commit for the hot path.
//!
//! A plain append (no idempotency key) is a single INSERT. When several arrive while one is
//! being written, the next write takes all of them into one multi-row INSERT: one statement,
//! one commit, the WAL pages of the messages table and its index written once for the batch
//! instead of once per message. Every caller still gets its answer only after the commit that
//! holds its message.
//!
//! An employee's public reply may reopen its ticket ([`PendingMessage::reopening`]): a batch
//! holding one is an explicit transaction instead, which reads those tickets, inserts the
//! batch and writes the reopened tickets with their audit entries, so a ticket resolved just
//! before is reopened all the same. So is a batch holding a message with attachments: the
//! uploads are linked to their message in the transaction that inserts it.

use std::collections::HashSet;

use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use support_core::store::{Appended, PendingMessage, Reopening};
use support_core::time::to_micros;
use support_core::{Choice, Error, MessageId, Result};
use tokio::sync::{mpsc, oneshot};

use crate::audit::insert_audit;
use crate::error::from_sqlx;
use crate::store::{select_ticket, write_ticket};

/// The most messages written by one statement. 64 rows × 9 columns stays far below SQLite's
/// limit on bound parameters, and a batch never waits to fill up: it takes what is queued.
const MAX_BATCH: usize = 64;

/// `origin` is not a field of the message: the `messages_audit` trigger copies it to the
/// message's audit records.
const INSERT: &str = "INSERT INTO messages (ticket_id, author_id, author_name, author_type, content, is_internal, attachments, created_at, origin) ";

/// Inserts messages with one statement and returns their ids, in the given order. A message for
/// a missing ticket fails the whole statement with `NotFound` and inserts nothing.
async fn insert_rows(conn: &mut SqliteConnection, batch: &[PendingMessage]) -> Result<Vec<i64>> {
    let mut attachments = Vec::with_capacity(batch.len());
    for m in batch {
        attachments.push(serde_json::to_string(&m.attachments).map_err(Error::backend)?);
    }
    let mut query = QueryBuilder::<Sqlite>::new(INSERT);
    query.push_values(batch.iter().zip(&attachments), |mut row, (m, json)| {
        row.push_bind(m.ticket_id.get())
            .push_bind(m.author.id.get())
            .push_bind(&m.author.name)
            .push_bind(m.author_type.as_str())
            .push_bind(&m.content)
            .push_bind(m.is_internal)
            .push_bind(json)
            .push_bind(to_micros(m.at))
            .push_bind(m.author.origin.map(|o| o.to_string()));
    });
    query.push(" RETURNING id");
    let mut ids: Vec<i64> = query
        .build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    if ids.len() != batch.len() {
        return Err(Error::backend(format!(
            "inserted {} messages, got {} ids",
            batch.len(),
            ids.len()
        )));
    }
    // SQLite does not promise an order for RETURNING rows, but one statement on the single
    // writer inserts its VALUES rows in order with growing ids.
    ids.sort_unstable();
    Ok(ids)
}

/// Inserts messages with one statement and reopens the tickets they reopen
/// ([`PendingMessage::reopening`] of each ticket as it was before the batch, for the first of
/// its messages that can reopen it), answering each message in order.
///
/// A batch holding a message that [can reopen](PendingMessage::can_reopen) its ticket, or one
/// with attachments, must run inside a write transaction ([`needs_transaction`]): the tickets
/// are read, the messages inserted, their uploads linked and the reopened tickets written as
/// one. Any other batch is the one INSERT.
pub(crate) async fn append_rows(
    conn: &mut SqliteConnection,
    batch: &[PendingMessage],
) -> Result<Vec<Appended>> {
    let mut reopenings: Vec<(usize, Reopening)> = Vec::new();
    let mut read = HashSet::new();
    for (i, m) in batch.iter().enumerate() {
        if m.can_reopen() && read.insert(m.ticket_id) {
            // A missing ticket fails the insert below.
            if let Some(r) = select_ticket(conn, m.ticket_id)
                .await?
                .and_then(|before| m.reopening(&before))
            {
                reopenings.push((i, r));
            }
        }
    }
    let ids = insert_rows(conn, batch).await?;
    for (m, id) in batch.iter().zip(&ids) {
        crate::uploads::link(conn, m, MessageId(*id)).await?;
    }
    let mut out: Vec<Appended> = batch
        .iter()
        .zip(ids)
        .map(|(m, id)| Appended::message(m.clone().stored(MessageId(id))))
        .collect();
    for (i, mut r) in reopenings {
        let ticket = r.update.after.id;
        // The trigger left the ticket's activity at its last message of the batch.
        if let Some(last) = out.iter().rev().find(|a| a.message.ticket_id == ticket) {
            r.update.after.updated_at = last.message.created_at;
        }
        write_ticket(conn, &r.update.after).await?;
        for e in &r.audit {
            insert_audit(conn, ticket, e).await?;
        }
        out[i].reopened = Some(r.update);
    }
    Ok(out)
}

/// Inserts one message, reopening its ticket if it does (inside the caller's transaction).
pub(crate) async fn insert_message(
    conn: &mut SqliteConnection,
    message: PendingMessage,
) -> Result<Appended> {
    let mut appended = append_rows(conn, std::slice::from_ref(&message)).await?;
    appended
        .pop()
        .ok_or_else(|| Error::backend("inserted a message, got no answer"))
}

/// [`append_rows`] on the writer connection in autocommit: in a transaction of its own when
/// the batch may reopen a ticket, as the single INSERT otherwise.
async fn commit_rows(
    conn: &mut SqliteConnection,
    batch: &[PendingMessage],
) -> Result<Vec<Appended>> {
    if !needs_transaction(batch) {
        return append_rows(conn, batch).await;
    }
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(from_sqlx)?;
    let appended = append_rows(&mut tx, batch).await?;
    tx.commit().await.map_err(from_sqlx)?;
    Ok(appended)
}

/// True if `batch` writes more than its INSERT: a reopening, or uploads to link.
fn needs_transaction(batch: &[PendingMessage]) -> bool {
    batch
        .iter()
        .any(|m| m.can_reopen() || !m.attachments.is_empty())
}

struct Job {
    message: PendingMessage,
    reply: oneshot::Sender<Result<Appended>>,
}

/// The queue of plain appends, written in batches by one task that shares the store's single
/// writer connection with its other writes.
#[derive(Debug, Clone)]
pub(crate) struct Appender {
    jobs: mpsc::Sender<Job>,
}

impl Appender {
    /// Starts the writing task. It ends when the last `Appender` is dropped.
    pub(crate) fn spawn(writer: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(writer, queue));
        Appender { jobs }
    }

    /// Appends a message; answers after the commit that stores it.
    pub(crate) async fn append(&self, message: PendingMessage) -> Result<Appended> {
        let (reply, answer) = oneshot::channel();
        let closed = || Error::Unavailable("the store is closed".into());
        self.jobs
            .send(Job { message, reply })
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn write_batches(writer: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (messages, replies): (Vec<_>, Vec<_>) =
            batch.drain(..).map(|j| (j.message, j.reply)).unzip();
        for (reply, result) in replies.into_iter().zip(write(&writer, messages).await) {
            // The caller may have given up (its request was cancelled): nothing to tell then.
            let _ = reply.send(result);
        }
    }
}

/// Writes a batch and answers each message: all in one statement (one transaction) when
/// possible; when one message fails it (a missing ticket), each is written alone, so only it
/// fails.
async fn write(writer: &SqlitePool, messages: Vec<PendingMessage>) -> Vec<Result<Appended>> {
    let count = messages.len();
    let mut conn = match writer.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            let e = from_sqlx(e).to_string();
            return (0..count)
                .map(|_| Err(Error::Unavailable(e.clone())))
                .collect();
        }
    };
    if count > 1 {
        match commit_rows(&mut conn, &messages).await {
            Ok(appended) => return appended.into_iter().map(Ok).collect(),
            // Busy or gone: it would be the same for each message alone.
            Err(Error::Unavailable(e)) => {
                return (0..count)
                    .map(|_| Err(Error::Unavailable(e.clone())))
                    .collect();
            }
            // Anything else may be one message's fault: each gets its own answer below.
            Err(_) => {}
        }
    }
    let mut results = Vec::with_capacity(count);
    for m in messages {
        let alone = commit_rows(&mut conn, std::slice::from_ref(&m)).await;
        results.push(alone.and_then(|mut a| {
            a.pop()
                .ok_or_else(|| Error::backend("inserted a message, got no answer"))
        }));
    }
    results
}
