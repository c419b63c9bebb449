//! Appends, and group commit for plain ones.
//!
//! Every append is one statement in autocommit, so one round trip. Without an idempotency
//! key: lock the ticket's activity row by recording the activity, insert the message, commit.
//! With one: the same, and the key's record in the same statement ([`insert_keyed`]). While many are in flight, those beyond
//! the first few are queued and written together ([`Lanes`]): one round trip, one commit for
//! the batch instead of one per message. Each caller still gets its answer only after the
//! commit that holds its message, and a message for a missing ticket fails alone.
//!
//! All these statements keep a ticket's ids in commit order the same way: a message's id is drawn
//! only after its ticket's `ticket_activity` row is locked, and the lock is held to the commit,
//! so a concurrent append to the same ticket waits and then draws a larger id.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool, Row};
use support_core::store::{Appended, PendingMessage};
use support_core::{Choice, Error, IdempotencyKey, MessageId, Result, Ticket};
use tokio::sync::oneshot;

use crate::error::{bad_data, from_sqlx};
use crate::lanes::Lanes;
use crate::row;

/// The columns of a ticket a batch may reopen, `t` in `tickets`, named as [`row::ticket`]
/// reads them: the row before the reopening. Its activity time is read, not locked: the
/// statement locks (and sets) it next.
macro_rules! reopen_columns {
    () => {
        "t.id, t.ticket_number, t.employee_id, t.subject, t.description, t.category, \
         t.priority, t.status, t.assigned_to, t.resolved_at, t.created_at, t.version, \
         t.first_response_at, t.first_response_due, t.resolution_due, \
         t.first_response_breached, t.resolution_breached, t.sla_paused_at, t.sla_paused_us, \
         t.archived_at, (SELECT updated_at FROM ticket_activity WHERE ticket_id = t.id) AS updated_at"
    };
}

/// The reopening of `r`'s tickets (an employee's reply on a resolved or closed ticket:
/// [`PendingMessage::reopening`], spelled in SQL): the same fields a staff change to open
/// writes, for the tickets `r` locked whose message `m` inserted. `$first` is the
/// `FROM`/`WHERE` that pairs each reopened ticket `r` with the author, origin and time of its
/// first reopening message, for the audit entry.
macro_rules! reopen_ctes {
    ($first:literal, $pair:literal) => {
        concat!(
            "reopened AS ( \
                 UPDATE tickets t SET status = 'open', resolved_at = NULL, version = t.version + 1, \
                     sla_paused_at = NULL, archived_at = NULL, \
                     sla_paused_us = t.sla_paused_us + COALESCE(w.us, 0), \
                     resolution_due = t.resolution_due + COALESCE(w.us, 0) * interval '1 microsecond' \
                 FROM r JOIN (SELECT w.ticket_id, GREATEST(0, ((extract(epoch FROM w.created_at) \
                         - extract(epoch FROM pr.sla_paused_at)) * 1000000)::bigint) AS us \
                     FROM ",
            $first,
            " w JOIN r pr ON pr.id = w.ticket_id) w ON w.ticket_id = r.id \
                 WHERE t.id = r.id AND r.id = ANY (ARRAY (SELECT m.ticket_id FROM m)) \
                 RETURNING t.id \
             ), audit AS ( \
                 INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, \
                     origin, at) \
                 SELECT r.id, f.author_id, f.author_name, 'ticket', \
                     jsonb_build_object('field', 'status', 'before', r.status, 'after', 'open'), \
                     f.origin, f.created_at \
                 ",
            $pair,
            " \
                 ORDER BY r.id \
             )"
        )
    };
}

/// One message. `r` locks the ticket's row first when the message may reopen it (an
/// employee's public reply on a resolved or closed ticket), as a staff change locks it before
/// the activity row: the activity update waits for `r` (its one-time condition reads it). The
/// activity update then locks the ticket's activity row and returns it only if the ticket
/// exists, and the insert draws the id for the row it returned, so after the lock. The answer
/// carries `r`'s row, the ticket before, when the message reopened it.
const APPEND_ONE: &str = concat!(
    "WITH r AS ( \
         SELECT ",
    reopen_columns!(),
    " FROM tickets t \
         WHERE t.id = $1 AND $4 = 'employee' AND NOT $6 AND t.status IN ('resolved', 'closed') \
         FOR NO KEY UPDATE OF t \
     ), a AS ( \
         UPDATE ticket_activity SET updated_at = $8 \
         WHERE ticket_id = $1 AND (SELECT count(*) FROM r) >= 0 RETURNING ticket_id \
     ), m AS ( \
         INSERT INTO messages (ticket_id, author_id, author_name, author_type, content, \
             is_internal, attachments, created_at, origin) \
         SELECT ticket_id, $2, $3, $4, $5, $6, $7, $8, $9 FROM a \
         RETURNING id, ticket_id \
     ), ",
    reopen_ctes!(
        "(SELECT $1::bigint AS ticket_id, $8::timestamptz AS created_at)",
        "FROM reopened JOIN r ON r.id = reopened.id, \
         (SELECT $2::bigint AS author_id, $3::text AS author_name, $8::timestamptz AS created_at, \
             $9::text AS origin) f"
    ),
    " SELECT m.id AS message_id, m.ticket_id AS message_ticket_id, r.* \
     FROM m LEFT JOIN r ON r.id = m.ticket_id"
);

/// A batch, as arrays of its columns. What orders the steps is data, not the order of the
/// `WITH` parts (which Postgres does not promise):
/// - `locked` locks the batch's tickets in id order, so two batches sharing tickets queue
///   instead of deadlocking;
/// - `touched` updates only rows that came out of `locked`, so only rows already locked, each
///   ticket once, to the time of its last message in the batch. It takes them as an array,
///   which makes all of `locked` run before it reads anything, and lets it read by index,
///   whatever the size of the table when the plan was made (a join may be planned as a scan
///   of the whole table, dead row versions and all, or read before the locks are held, which
///   makes appends to one busy ticket slower);
/// - the insert takes only messages whose ticket came out of `touched`, sorted by batch
///   position: the sort needs every row first, so every lock is held before the first id is
///   drawn, and ids are drawn in batch order. Messages for missing tickets are left out.
///
/// The arrays reach the rest only through `p`, a materialized row the planner does not look
/// into. Were they visible, every plan would be costed for the batch's exact size, cheaper
/// than the plan for any size, and Postgres would keep planning the statement afresh for
/// each batch instead of reusing one plan: a quarter of the server's time under load.
const APPEND_BATCH: &str = concat!(
    "WITH p AS MATERIALIZED ( \
        SELECT $1::bigint[] AS ticket_id, $2::bigint[] AS author_id, $3::text[] AS author_name, \
            $4::text[] AS author_type, $5::text[] AS content, $6::boolean[] AS is_internal, \
            $7::jsonb[] AS attachments, $8::timestamptz[] AS created_at, $9::text[] AS origin \
    ), b AS ( \
        SELECT b.* FROM p, unnest(p.ticket_id, p.author_id, p.author_name, p.author_type, \
            p.content, p.is_internal, p.attachments, p.created_at, p.origin) \
        WITH ORDINALITY AS b (ticket_id, author_id, author_name, author_type, content, \
            is_internal, attachments, created_at, origin, n) \
    ), r AS ( \
        SELECT ",
    reopen_columns!(),
    " FROM tickets t \
        WHERE t.id = ANY (ARRAY (SELECT b.ticket_id FROM b \
                WHERE b.author_type = 'employee' AND NOT b.is_internal)) \
            AND t.status IN ('resolved', 'closed') \
        ORDER BY t.id FOR NO KEY UPDATE OF t \
    ), locked AS ( \
        SELECT a.ticket_id FROM p, ticket_activity a WHERE a.ticket_id = ANY (p.ticket_id) \
            AND (SELECT count(*) FROM r) >= 0 \
        ORDER BY a.ticket_id FOR NO KEY UPDATE OF a \
    ), touched AS ( \
        UPDATE ticket_activity a SET updated_at = last.created_at \
        FROM ( \
            SELECT DISTINCT ON (b.ticket_id) b.ticket_id, b.created_at FROM b \
            ORDER BY b.ticket_id, b.n DESC \
        ) AS last \
        WHERE a.ticket_id = last.ticket_id \
            AND a.ticket_id = ANY (ARRAY (SELECT locked.ticket_id FROM locked)) \
        RETURNING a.ticket_id \
    ), m AS ( \
        INSERT INTO messages (ticket_id, author_id, author_name, author_type, content, \
            is_internal, attachments, created_at, origin) \
        SELECT b.ticket_id, b.author_id, b.author_name, b.author_type, b.content, b.is_internal, \
            b.attachments, b.created_at, b.origin \
        FROM b JOIN touched ON touched.ticket_id = b.ticket_id \
        ORDER BY b.n \
        RETURNING id, ticket_id \
    ), ",
    reopen_ctes!(
        "(SELECT DISTINCT ON (b.ticket_id) b.ticket_id, b.created_at \
             FROM b WHERE b.author_type = 'employee' AND NOT b.is_internal \
             ORDER BY b.ticket_id, b.n)",
        "FROM reopened JOIN r ON r.id = reopened.id JOIN ( \
             SELECT DISTINCT ON (b.ticket_id) b.ticket_id, b.author_id, b.author_name, b.created_at, \
                 b.origin \
             FROM b WHERE b.author_type = 'employee' AND NOT b.is_internal \
             ORDER BY b.ticket_id, b.n \
         ) f ON f.ticket_id = r.id"
    ),
    " SELECT m.id AS message_id, m.ticket_id AS message_ticket_id, r.* \
     FROM m LEFT JOIN r ON r.id = m.ticket_id"
);

/// Writes a batch with one statement. Each message gets its answer, or `None` if its ticket
/// does not exist (nothing was written for it then).
async fn insert_batch(
    ex: impl PgExecutor<'_>,
    batch: &[PendingMessage],
) -> Result<Vec<Option<Appended>>> {
    let rows: Vec<PgRow> = if let [m] = batch {
        sqlx::query(APPEND_ONE)
            .bind(m.ticket_id.get())
            .bind(m.author.id.get())
            .bind(&m.author.name)
            .bind(m.author_type.as_str())
            .bind(&m.content)
            .bind(m.is_internal)
            .bind(Json(&m.attachments))
            .bind(m.at)
            .bind(m.author.origin.map(|o| o.to_string()))
            .fetch_all(ex)
            .await
            .map_err(from_sqlx)?
    } else {
        let mut attachments = Vec::with_capacity(batch.len());
        for m in batch {
            attachments.push(serde_json::to_value(&m.attachments).map_err(Error::backend)?);
        }
        sqlx::query(APPEND_BATCH)
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
            .bind(batch.iter().map(|m| m.is_internal).collect::<Vec<_>>())
            .bind(attachments)
            .bind(batch.iter().map(|m| m.at).collect::<Vec<_>>())
            .bind(
                batch
                    .iter()
                    .map(|m| m.author.origin.map(|o| o.to_string()))
                    .collect::<Vec<_>>(),
            )
            .fetch_all(ex)
            .await
            .map_err(from_sqlx)?
    };
    let mut inserted = Vec::with_capacity(rows.len());
    let mut reopened: HashMap<i64, Ticket> = HashMap::new();
    for row in &rows {
        let id: i64 = row.try_get("message_id").map_err(from_sqlx)?;
        let ticket: i64 = row.try_get("message_ticket_id").map_err(from_sqlx)?;
        inserted.push((id, ticket));
        if row
            .try_get::<Option<i64>, _>("id")
            .map_err(from_sqlx)?
            .is_some()
        {
            reopened.insert(ticket, row::ticket(row)?);
        }
    }
    // One INSERT draws its ids in the order it inserts, which is batch order; the rows it
    // returns need not come back in that order.
    inserted.sort_unstable();
    // The inserted messages are the batch minus those whose ticket is missing, in order, and
    // a ticket is either present for all its messages or for none.
    let mut inserted = inserted.into_iter().peekable();
    let mut answers: Vec<Option<Appended>> = batch
        .iter()
        .map(|m| {
            inserted
                .next_if(|(_, t)| *t == m.ticket_id.get())
                .map(|(id, _)| Appended::message(m.clone().stored(MessageId(id))))
        })
        .collect();
    if inserted.next().is_some() {
        return Err(bad_data("batch of messages", "ids do not match the batch"));
    }
    attach_reopenings(batch, &mut answers, reopened);
    Ok(answers)
}

/// Gives each ticket the statement reopened (`before`: its row as `r` locked it) to the first
/// of its messages that can reopen it, as [`PendingMessage::reopening`] says, with the
/// activity time the statement left: its last message of the batch.
fn attach_reopenings(
    batch: &[PendingMessage],
    answers: &mut [Option<Appended>],
    mut before: HashMap<i64, Ticket>,
) {
    for (i, m) in batch.iter().enumerate() {
        if !m.can_reopen() {
            continue;
        }
        let Some(ticket) = before.remove(&m.ticket_id.get()) else {
            continue;
        };
        let Some(mut update) = m.reopening(&ticket).map(|r| r.update) else {
            continue;
        };
        if let Some(last) = batch.iter().rev().find(|l| l.ticket_id == m.ticket_id) {
            update.after.updated_at = last.at;
        }
        if let Some(Some(answer)) = answers.get_mut(i) {
            answer.reopened = Some(update);
        }
    }
}

/// One message with its idempotency key, so that a retry finds it. The key's record needs the
/// message's id and is what decides whether the message is written at all, so the id is drawn
/// explicitly, from the identity's own sequence, once the ticket's row is locked (`locked`):
/// - `k` records the key, unless the same user's key is recorded already; a concurrent
///   statement recording the same key makes it wait for that one's commit, then skip;
/// - `m` inserts the message only if the key was recorded now, with the id drawn for it;
/// - `a` records the activity only if the message was inserted.
///
/// So either all three rows are written, or none, and then the statement returns no row.
/// The key's reference to the message is checked at the end of the statement, after `m`.
const APPEND_KEYED: &str = concat!(
    "WITH r AS ( \
        SELECT ",
    reopen_columns!(),
    " FROM tickets t \
        WHERE t.id = $1 AND $4 = 'employee' AND NOT $6 AND t.status IN ('resolved', 'closed') \
        FOR NO KEY UPDATE OF t \
    ), locked AS ( \
        SELECT ticket_id FROM ticket_activity \
        WHERE ticket_id = $1 AND (SELECT count(*) FROM r) >= 0 FOR NO KEY UPDATE \
    ), k AS ( \
        INSERT INTO idempotency_keys (user_id, \"key\", kind, ticket_id, message_id) \
        SELECT $2, $9, 'message', ticket_id, nextval(pg_get_serial_sequence('messages', 'id')) \
        FROM locked \
        ON CONFLICT (user_id, \"key\") DO NOTHING \
        RETURNING ticket_id, message_id \
    ), m AS ( \
        INSERT INTO messages (id, ticket_id, author_id, author_name, author_type, content, \
            is_internal, attachments, created_at, origin) \
        OVERRIDING SYSTEM VALUE \
        SELECT message_id, ticket_id, $2, $3, $4, $5, $6, $7, $8, $10 FROM k \
        RETURNING id, ticket_id \
    ), a AS ( \
        UPDATE ticket_activity SET updated_at = $8 FROM m WHERE ticket_activity.ticket_id = m.ticket_id \
    ), ",
    reopen_ctes!(
        "(SELECT $1::bigint AS ticket_id, $8::timestamptz AS created_at)",
        "FROM reopened JOIN r ON r.id = reopened.id, \
         (SELECT $2::bigint AS author_id, $3::text AS author_name, $8::timestamptz AS created_at, \
             $10::text AS origin) f"
    ),
    " SELECT m.id AS message_id, m.ticket_id AS message_ticket_id, r.* \
     FROM m LEFT JOIN r ON r.id = m.ticket_id"
);

/// Writes one message and records its idempotency key, in one statement committed on return.
/// `None` if nothing was written: the key was used before by the same user, or the ticket does
/// not exist.
pub(crate) async fn insert_keyed(
    ex: impl PgExecutor<'_>,
    message: PendingMessage,
    key: &IdempotencyKey,
) -> Result<Option<Appended>> {
    let m = &message;
    let row: Option<PgRow> = sqlx::query(APPEND_KEYED)
        .bind(m.ticket_id.get())
        .bind(m.author.id.get())
        .bind(&m.author.name)
        .bind(m.author_type.as_str())
        .bind(&m.content)
        .bind(m.is_internal)
        .bind(Json(&m.attachments))
        .bind(m.at)
        .bind(key.as_str())
        .bind(m.author.origin.map(|o| o.to_string()))
        .fetch_optional(ex)
        .await
        .map_err(from_sqlx)?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("message_id").map_err(from_sqlx)?;
    let mut before = HashMap::new();
    if row
        .try_get::<Option<i64>, _>("id")
        .map_err(from_sqlx)?
        .is_some()
    {
        before.insert(m.ticket_id.get(), row::ticket(&row)?);
    }
    let mut answers = [Some(Appended::message(m.clone().stored(MessageId(id))))];
    attach_reopenings(std::slice::from_ref(&message), &mut answers, before);
    Ok(answers[0].take())
}

/// Writes one message without a key. `NotFound` if the ticket does not exist.
pub(crate) async fn insert_one(
    ex: impl PgExecutor<'_>,
    message: PendingMessage,
) -> Result<Appended> {
    let mut answers = insert_batch(ex, std::slice::from_ref(&message)).await?;
    answers.pop().flatten().ok_or(Error::NotFound)
}

/// Writes a batch and answers each message. When the call fails for a reason that may be one
/// message's fault, each is written alone, so only that one fails.
async fn write(pool: &PgPool, batch: Vec<PendingMessage>) -> Vec<Result<Appended>> {
    match insert_batch(pool, &batch).await {
        Ok(answers) => answers
            .into_iter()
            .map(|a| a.ok_or(Error::NotFound))
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
                results.push(insert_one(pool, m).await);
            }
            results
        }
    }
}

struct Job {
    message: PendingMessage,
    reply: oneshot::Sender<Result<Appended>>,
}

/// Plain appends: written directly while few are in flight, in batches beyond that.
#[derive(Debug, Clone)]
pub(crate) struct Appender {
    pool: PgPool,
    lanes: Lanes<Job>,
}

impl Appender {
    /// Starts the lanes on the current runtime. They end when the last `Appender` is dropped.
    pub(crate) fn spawn(pool: PgPool, lanes: usize) -> Self {
        let writer = pool.clone();
        let lanes = Lanes::spawn(lanes, move |jobs: Vec<Job>| {
            let pool = writer.clone();
            async move {
                let (batch, replies): (Vec<_>, Vec<_>) =
                    jobs.into_iter().map(|j| (j.message, j.reply)).unzip();
                for (reply, result) in replies.into_iter().zip(write(&pool, batch).await) {
                    // The caller may have given up (its request was cancelled): nothing to
                    // tell then.
                    let _ = reply.send(result);
                }
            }
        });
        Appender { pool, lanes }
    }

    /// Appends a message; answers after the commit that stores it.
    pub(crate) async fn append(&self, message: PendingMessage) -> Result<Appended> {
        if let Some(_running) = self.lanes.direct() {
            return insert_one(&self.pool, message).await;
        }
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Unavailable("the store's append lanes have stopped".into());
        if !self.lanes.queue(Job { message, reply }).await {
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }
}
