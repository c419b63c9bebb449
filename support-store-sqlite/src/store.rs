//! [`SqliteStore`] and its [`SupportStore`] implementation.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool, Transaction};
use support_core::store::*;
use support_core::time::to_micros;
use support_core::{
    AuditEntry, Choice, Error, IdempotencyKey, Message, MessageId, Result, Stats, Status, Ticket,
    TicketId, TicketNumber, UserId,
};

use sea_query::SqliteQueryBuilder;
use sea_query_binder::SqlxBinder;
use support_core::sql;

use crate::append::{Appender, insert_message};
use crate::audit::insert_audit;
use crate::connect;
use crate::error::{bad_data, from_sqlx};
use crate::options::SqliteOptions;
use crate::query;
use crate::row::{self, MESSAGE_COLUMNS, TICKET_COLUMNS};
use support_core::audit::{AuditQuery, AuditRecord, NewAuditRecord};

/// A [`SupportStore`] in one SQLite file (or in memory).
///
/// A file database runs in WAL mode with `foreign_keys = ON`. All writes go through a single
/// connection, one transaction per call, so they never contend with each other for SQLite's
/// lock; reads use a small pool of read-only connections that see every committed write at
/// once and are not blocked by a write in progress. How durable a commit is depends on
/// [`SqliteOptions::synchronous`].
///
/// Several processes may open the same file: each write transaction starts with
/// `BEGIN IMMEDIATE`, so a write waits up to [`SqliteOptions::busy_timeout`] for another
/// process's lock and then fails with [`Error::Unavailable`] rather than failing midway.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    appender: Appender,
    /// Held, never used, to keep an in-memory database alive (see `connect::Pools::keeper`).
    keeper: Option<SqliteConnection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("in_memory", &self.keeper.is_some())
            .field("writer", &self.writer)
            .field("reader", &self.reader)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating the file if it is missing) and migrates a database with default
    /// [`SqliteOptions`].
    ///
    /// `url` is `sqlite://path`, `sqlite:path` or a plain path, optionally with `?mode=ro` to
    /// open an existing, migrated file read-only; or `sqlite::memory:` for a private database
    /// in memory that lives as long as the store (one connection serves its reads and writes,
    /// since connections to one memory database would block each other anyway).
    ///
    /// A file that is not a SQLite database, or a schema from a different build, is
    /// [`Error::Backend`]; a file locked by another process past the busy timeout is
    /// [`Error::Unavailable`].
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, SqliteOptions::default()).await
    }

    /// [`SqliteStore::open`] with explicit options.
    pub async fn open_with(url: &str, options: SqliteOptions) -> Result<Self> {
        let pools = connect::open(url, &options).await?;
        Ok(SqliteStore {
            appender: Appender::spawn(pools.writer.clone()),
            writer: pools.writer,
            reader: pools.reader,
            keeper: pools.keeper,
        })
    }

    /// Closes every connection, waiting for calls in flight. A file database is checkpointed
    /// and its `-wal` and `-shm` files removed by the last connection to close. Dropping the
    /// store without calling this loses nothing that was committed.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// The single writer connection, which every write goes through.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The read-only pool.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Starts a write transaction. `IMMEDIATE` takes SQLite's write lock up front: with a
    /// deferred `BEGIN`, a transaction that reads and then writes could find that another
    /// process wrote in between and fail at once with `SQLITE_BUSY`, without waiting.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(from_sqlx)
    }

    /// The plan SQLite picks for a ticket list, one line per step of `EXPLAIN QUERY PLAN`
    /// (`SEARCH tickets USING INDEX tickets_queue (priority<?)`, `USE TEMP B-TREE FOR ORDER BY`,
    /// …): for checking that a list is read from an index rather than sorted.
    pub async fn explain_tickets(&self, q: &TicketQuery) -> Result<Vec<String>> {
        let (sql, values) = query::tickets(q);
        let plan = sqlx::query_with(&format!("EXPLAIN QUERY PLAN {sql}"), values)
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        plan.iter()
            .map(|row| row.try_get::<String, _>("detail").map_err(from_sqlx))
            .collect()
    }
}

/// `kind`, `ticket_id`, `message_id`, `request` of an `idempotency_keys` row.
type KeyColumns = (String, i64, Option<i64>, Option<String>);

/// What `user` first used `key` for, if they did.
async fn remembered(
    conn: &mut SqliteConnection,
    user: UserId,
    key: &IdempotencyKey,
) -> Result<Option<KeyUse>> {
    let row: Option<KeyColumns> = sqlx::query_as(r#"SELECT kind, ticket_id, message_id, request FROM idempotency_keys WHERE user_id = ? AND "key" = ?"#)
        .bind(user.get())
        .bind(key.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    row.map(|(kind, ticket, message, request)| {
        KeyUse::from_columns(&kind, ticket, message, request)
            .ok_or_else(|| bad_data("idempotency key", format!("kind {kind:?}")))
    })
    .transpose()
}

async fn remember(
    conn: &mut SqliteConnection,
    user: UserId,
    key: &IdempotencyKey,
    used: &KeyUse,
) -> Result<()> {
    // The writer is single and the key was checked in this transaction, so a clash means
    // another process used the same key concurrently: the primary key turns it into a
    // `Conflict` and the transaction rolls back with nothing written.
    sqlx::query(r#"INSERT INTO idempotency_keys (user_id, "key", kind, ticket_id, message_id, request) VALUES (?, ?, ?, ?, ?, ?)"#)
        .bind(user.get())
        .bind(key.as_str())
        .bind(used.kind())
        .bind(used.ticket_id().get())
        .bind(used.message_id().map(MessageId::get))
        .bind(used.request())
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}

pub(crate) async fn select_ticket(
    conn: &mut SqliteConnection,
    id: TicketId,
) -> Result<Option<Ticket>> {
    let row = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?"
    ))
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    row.as_ref().map(row::ticket).transpose()
}

async fn select_message(conn: &mut SqliteConnection, id: MessageId) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?"
    ))
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    row.as_ref().map(row::message).transpose()
}

/// Writes a changed ticket's workflow fields (what [`TicketPatch::apply`] changes) and its
/// activity time.
///
/// [`TicketPatch::apply`]: support_core::TicketPatch::apply
pub(crate) async fn write_ticket(conn: &mut SqliteConnection, after: &Ticket) -> Result<()> {
    sqlx::query(
        "UPDATE tickets SET status = ?, priority = ?, assigned_to = ?, resolved_at = ?, updated_at = ?, \
         version = ?, first_response_due = ?, resolution_due = ?, sla_paused_at = ?, \
         sla_paused_us = ?, archived_at = ? WHERE id = ?",
    )
    .bind(after.status.as_str())
    .bind(i64::from(after.priority.rank()))
    .bind(after.assigned_to.map(UserId::get))
    .bind(after.resolved_at.map(to_micros))
    .bind(to_micros(after.updated_at))
    .bind(after.version)
    .bind(after.sla.first_response_due.map(to_micros))
    .bind(after.sla.resolution_due.map(to_micros))
    .bind(after.sla.paused_since.map(to_micros))
    .bind(after.sla.paused_us)
    .bind(after.archived_at.map(to_micros))
    .bind(after.id.get())
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

fn rows<T>(rows: Vec<SqliteRow>, decode: fn(&SqliteRow) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(decode).collect()
}

#[async_trait]
impl SupportStore for SqliteStore {
    async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = &d.idempotency_key {
            if let Some(used) = remembered(&mut tx, d.employee.id, key).await? {
                let (t, m) = used.replay_create()?;
                let ticket = select_ticket(&mut tx, t).await?.ok_or(Error::NotFound)?;
                let message = match m {
                    Some(m) => select_message(&mut tx, m).await?,
                    None => None,
                };
                return Ok(Created::Existing((ticket, message)));
            }
        }

        let clocks = d.clocks();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (employee_id, subject, description, category, priority, status, created_at, \
             updated_at, first_response_due, resolution_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING id",
        )
        .bind(d.employee.id.get())
        .bind(d.ticket.subject.as_str())
        .bind(d.ticket.description.as_str())
        .bind(d.ticket.category.as_str())
        .bind(i64::from(d.ticket.priority.rank()))
        .bind(Status::Open.as_str())
        .bind(to_micros(d.at))
        .bind(to_micros(d.at))
        .bind(clocks.first_response_due.map(to_micros))
        .bind(clocks.resolution_due.map(to_micros))
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let id = TicketId(id);
        let number = TicketNumber::for_id(id);
        sqlx::query("UPDATE tickets SET ticket_number = ? WHERE id = ?")
            .bind(number.as_str())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        insert_audit(&mut tx, id, &d.audit_entry()).await?;
        let message = match d.pending_first_message(id) {
            Some(first) => Some(insert_message(&mut tx, first).await?.message),
            None => None,
        };
        if let Some(key) = &d.idempotency_key {
            let used = KeyUse::Ticket {
                ticket: id,
                message: message.as_ref().map(|m| m.id),
            };
            remember(&mut tx, d.employee.id, key, &used).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;

        let ticket = d.ticket(id, number);
        Ok(Created::New((ticket, message)))
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        let mut conn = self.reader.acquire().await.map_err(from_sqlx)?;
        select_ticket(&mut conn, id).await
    }

    async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
        let (sql, values) = query::tickets(q);
        let found = sqlx::query_with(&sql, values)
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        rows(found, row::ticket)
    }

    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>> {
        let mut tx = self.begin_write().await?;
        let Some(before) = select_ticket(&mut tx, id).await? else {
            return Ok(None);
        };
        let key = change.idempotency_key.as_ref();
        if let Some(key) = key {
            if let Some(used) = remembered(&mut tx, change.author.id, key).await? {
                used.replay_update(id, &change.patch)?;
                return Ok(Some(TicketUpdate::unchanged(before)));
            }
        }
        // Compared on the row read in this write transaction: nothing writes in between.
        change.check_version(&before)?;
        let (after, changes) = change.apply(&before);
        if !changes.is_empty() {
            write_ticket(&mut tx, &after).await?;
            for e in change.audit_entries(&changes) {
                insert_audit(&mut tx, id, &e).await?;
            }
        }
        if let Some(key) = key {
            let used = KeyUse::update(id, &change.patch);
            remember(&mut tx, change.author.id, key, &used).await?;
        }
        if !changes.is_empty() || key.is_some() {
            tx.commit().await.map_err(from_sqlx)?;
        }
        Ok(Some(TicketUpdate {
            before,
            after,
            changes,
        }))
    }

    async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
        let row = d.pending();
        let Some(key) = &d.idempotency_key else {
            // The common case: an INSERT in its own implicit transaction (shared with whatever
            // other plain appends are queued: see `append`), committed before it returns. The
            // trigger records the activity and the foreign key refuses a missing ticket
            // (`NotFound`). The single writer connection makes ids grow in commit order. A
            // batch holding a reply that may reopen its ticket is one explicit transaction.
            return self.appender.append(row).await.map(Created::New);
        };
        let mut tx = self.begin_write().await?;
        if let Some(used) = remembered(&mut tx, d.author.id, key).await? {
            let (_, m) = used.replay_append()?;
            let message = select_message(&mut tx, m).await?.ok_or(Error::NotFound)?;
            return Ok(Created::Existing(Appended::message(message)));
        }
        let appended = insert_message(&mut tx, row).await?;
        let used = KeyUse::Message {
            ticket: d.ticket_id,
            message: appended.message.id,
        };
        remember(&mut tx, d.author.id, key, &used).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Created::New(appended))
    }

    async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        let page = sql::message_page(q);
        let (statement, values) = page.select.build_sqlx(SqliteQueryBuilder);
        let found = sqlx::query_with(&statement, values)
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        Ok(page.oldest_first(rows(found, row::message)?))
    }

    async fn stats(&self) -> Result<Stats> {
        let counts: Vec<(String, i64, i64)> = sqlx::query_as(sql::TICKET_COUNTS)
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        sql::stats_from_counts(counts)
    }

    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        self.select_activity(ticket_id).await
    }

    async fn record_audit(&self, record: &NewAuditRecord) -> Result<AuditRecord> {
        self.write_record(record).await
    }

    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        self.select_log(query).await
    }

    async fn mark_read(
        &self,
        position: &support_core::ReadPosition,
    ) -> Result<Option<support_core::reads::ReadAdvance>> {
        self.advance_read(position).await
    }

    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<support_core::TicketSummary>> {
        self.summaries(tickets, reader, include_internal).await
    }

    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<support_core::ReadPosition>> {
        self.positions(ticket_id).await
    }

    async fn react(
        &self,
        change: &support_core::reaction::ReactionChange,
    ) -> Result<Option<support_core::reaction::ReactionOutcome>> {
        self.apply_reaction(change).await
    }

    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<support_core::reaction::MessageReactions>> {
        self.message_reactions(ticket_id, messages, viewer).await
    }

    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<support_core::CannedResponse>> {
        self.canned_for(viewer).await
    }

    async fn save_canned_response(
        &self,
        id: Option<support_core::CannedResponseId>,
        d: &support_core::canned::CannedDraft,
    ) -> Result<Option<support_core::CannedResponse>> {
        self.save_canned(id, d).await
    }

    async fn delete_canned_response(&self, id: support_core::CannedResponseId) -> Result<bool> {
        self.delete_canned(id).await
    }

    async fn ticket_templates(&self) -> Result<Vec<support_core::TicketTemplate>> {
        self.templates().await
    }

    async fn save_ticket_template(
        &self,
        id: Option<support_core::TicketTemplateId>,
        d: &support_core::canned::TemplateDraft,
    ) -> Result<Option<support_core::TicketTemplate>> {
        self.save_template(id, d).await
    }

    async fn delete_ticket_template(&self, id: support_core::TicketTemplateId) -> Result<bool> {
        self.delete_template(id).await
    }

    async fn create_upload(&self, d: &support_core::UploadDraft) -> Result<support_core::Upload> {
        self.insert_upload(d).await
    }

    async fn upload(&self, id: support_core::AttachmentId) -> Result<Option<support_core::Upload>> {
        self.select_upload(id).await
    }

    async fn unattached_uploads(
        &self,
        before: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::Upload>> {
        self.select_unattached(before, limit).await
    }

    async fn delete_upload(&self, id: support_core::AttachmentId) -> Result<bool> {
        self.remove_upload(id).await
    }

    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        self.sha256_in_use(sha256).await
    }

    // --- sla ---
    async fn mark_sla_breaches(
        &self,
        now: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::SlaBreach>> {
        crate::sla::mark_breaches(self, now, limit).await
    }
    async fn report_facts(
        &self,
        from: support_core::Timestamp,
        to: support_core::Timestamp,
    ) -> Result<Vec<support_core::report::ReportFacts>> {
        crate::sla::report_facts(self, from, to).await
    }
    // --- archive ---
    async fn archive_closed(
        &self,
        batch: &support_core::archive::ArchiveBatch,
    ) -> Result<Vec<TicketId>> {
        self.archive_batch(batch).await
    }

    // --- search ---
    async fn search(
        &self,
        q: &support_core::search::SearchQuery,
    ) -> Result<Vec<support_core::SearchHit>> {
        self.search_text(q).await
    }
}
