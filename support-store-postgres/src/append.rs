//! Plain appends, and group commit for them.
//!
//! An append without an idempotency key is one call of `support_append_messages` (second
//! migration): lock the ticket, record the activity, insert the message, commit. When several
//! arrive while the lanes are busy writing, the next free lane takes all of them into one call:
//! one round trip, one statement, one commit for the batch instead of one per message. Each
//! caller still gets its answer only after the commit that holds its message, and a message
//! for a missing ticket fails alone.

use std::sync::Arc;

use sqlx::{PgExecutor, PgPool};
use support_core::store::{Author, MessageDraft};
use support_core::{
    Attachment, AuthorType, Choice, Error, Message, MessageId, Result, TicketId, Timestamp,
    Visibility,
};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{bad_data, from_sqlx};

/// The most messages one call writes. A batch never waits to fill up: it takes what is
/// queued, so under light load every batch holds one message and nothing is delayed.
const MAX_BATCH: usize = 64;

/// A message about to be inserted: everything but the id.
#[derive(Debug, Clone)]
pub(crate) struct PendingMessage {
    ticket_id: TicketId,
    author: Author,
    author_type: AuthorType,
    content: String,
    internal: bool,
    attachments: Vec<Attachment>,
    at: Timestamp,
}

impl PendingMessage {
    pub(crate) fn of(d: &MessageDraft) -> Self {
        PendingMessage {
            ticket_id: d.ticket_id,
            author: d.author.clone(),
            author_type: d.author_type,
            content: d.message.body.as_str().to_owned(),
            internal: d.message.visibility == Visibility::Internal,
            attachments: d.message.attachments.clone(),
            at: d.at,
        }
    }

    fn stored(self, id: i64) -> Message {
        Message {
            id: MessageId(id),
            ticket_id: self.ticket_id,
            author_id: self.author.id,
            author_name: self.author.name,
            author_type: self.author_type,
            content: self.content,
            is_internal: self.internal,
            attachments: self.attachments,
            created_at: self.at,
        }
    }
}

/// Writes a batch with one call. Each message gets its id, or `None` if its ticket does not
/// exist (nothing was written for it then).
async fn insert_batch(
    ex: impl PgExecutor<'_>,
    batch: &[PendingMessage],
) -> Result<Vec<Option<i64>>> {
    let mut attachments = Vec::with_capacity(batch.len());
    for m in batch {
        attachments.push(serde_json::to_value(&m.attachments).map_err(Error::backend)?);
    }
    let mut rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, ticket_id FROM support_append_messages($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(batch.iter().map(|m| m.ticket_id.get()).collect::<Vec<_>>())
    .bind(batch.iter().map(|m| m.author.id.get()).collect::<Vec<_>>())
    .bind(
        batch
            .iter()
            .map(|m| m.author.name.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        batch
            .iter()
            .map(|m| m.author_type.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(batch.iter().map(|m| m.content.as_str()).collect::<Vec<_>>())
    .bind(batch.iter().map(|m| m.internal).collect::<Vec<_>>())
    .bind(attachments)
    .bind(batch.iter().map(|m| m.at).collect::<Vec<_>>())
    .fetch_all(ex)
    .await
    .map_err(from_sqlx)?;
    // One INSERT draws its ids in the order it inserts, which is batch order; the rows it
    // returns need not come back in that order.
    rows.sort_unstable();
    // The inserted messages are the batch minus those whose ticket is missing, in order, and
    // a ticket is either present for all its messages or for none.
    let mut inserted = rows.into_iter().peekable();
    let ids: Vec<Option<i64>> = batch
        .iter()
        .map(|m| {
            inserted
                .next_if(|(_, t)| *t == m.ticket_id.get())
                .map(|(id, _)| id)
        })
        .collect();
    if inserted.next().is_some() {
        return Err(bad_data("batch of messages", "ids do not match the batch"));
    }
    Ok(ids)
}

/// Writes one message through `ex`, for an append inside a transaction (one with an
/// idempotency key). `NotFound` if the ticket does not exist.
pub(crate) async fn insert_one(
    ex: impl PgExecutor<'_>,
    message: PendingMessage,
) -> Result<Message> {
    let ids = insert_batch(ex, std::slice::from_ref(&message)).await?;
    match ids.first() {
        Some(Some(id)) => Ok(message.stored(*id)),
        _ => Err(Error::NotFound),
    }
}

/// Writes a batch and answers each message. When the call fails for a reason that may be one
/// message's fault, each is written alone, so only that one fails.
async fn write(pool: &PgPool, batch: Vec<PendingMessage>) -> Vec<Result<Message>> {
    let found =
        |m: PendingMessage, id: Option<i64>| id.map(|id| m.stored(id)).ok_or(Error::NotFound);
    match insert_batch(pool, &batch).await {
        Ok(ids) => batch
            .into_iter()
            .zip(ids)
            .map(|(m, id)| found(m, id))
            .collect(),
        // Unreachable or busy: it would be the same for each message alone.
        Err(Error::Unavailable(e)) => batch
            .iter()
            .map(|_| Err(Error::Unavailable(e.clone())))
            .collect(),
        Err(e) if batch.len() == 1 => vec![Err(e)],
        Err(_) => {
            let mut results = Vec::with_capacity(batch.len());
            for m in batch {
                let alone = insert_batch(pool, std::slice::from_ref(&m)).await;
                results.push(alone.and_then(|ids| found(m, ids.into_iter().next().flatten())));
            }
            results
        }
    }
}

struct Job {
    message: PendingMessage,
    reply: oneshot::Sender<Result<Message>>,
}

/// The queue of plain appends and the lanes that write it.
#[derive(Debug, Clone)]
pub(crate) struct Appender {
    jobs: mpsc::Sender<Job>,
}

impl Appender {
    /// Starts `lanes` writing tasks on the current runtime. They end when the last `Appender`
    /// is dropped.
    pub(crate) fn spawn(pool: PgPool, lanes: usize) -> Self {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..lanes.max(1) {
            tokio::spawn(lane(pool.clone(), queue.clone()));
        }
        Appender { jobs }
    }

    /// Appends a message; answers after the commit that stores it.
    pub(crate) async fn append(&self, message: PendingMessage) -> Result<Message> {
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Unavailable("the store's append lanes have stopped".into());
        self.jobs
            .send(Job { message, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// One lane: takes everything queued (up to a batch) while no other lane is taking, writes
/// it, answers, and goes back for more. While it writes, the next lane collects.
async fn lane(pool: PgPool, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let taken = queue.lock().await.recv_many(&mut jobs, MAX_BATCH).await;
        if taken == 0 {
            return;
        }
        let (batch, replies): (Vec<_>, Vec<_>) =
            jobs.drain(..).map(|j| (j.message, j.reply)).unzip();
        for (reply, result) in replies.into_iter().zip(write(&pool, batch).await) {
            // The caller may have given up (its request was cancelled): nothing to tell then.
            let _ = reply.send(result);
        }
    }
}
