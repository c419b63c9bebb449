//! [`PgStore`] and its [`SupportStore`] implementation.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::postgres::PgConnectOptions;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool, Row};
use support_core::store::*;
use support_core::{
    AuditEntry, Choice, Error, IdempotencyKey, Message, MessageId, Result, Stats, Ticket, TicketId,
    TicketNumber, UserId,
};

use sea_query::PostgresQueryBuilder;
use sea_query_binder::SqlxBinder;
use support_core::sql;

use crate::append::{self, Appender};
use crate::connect;
use crate::error::{bad_data, from_sqlx, timed_out};
use crate::lookup::{TicketLookup, select_ticket};
use crate::options::PgOptions;
use crate::query;
use crate::row::{self, MESSAGE_COLUMNS, TICKET_COLUMNS};
use support_core::audit::{AuditQuery, AuditRecord, NewAuditRecord};

/// A [`SupportStore`] in a PostgreSQL database, for deployments that outgrow one SQLite file
/// or run several server processes against one database.
///
/// Cloning is cheap and shares the connection pool. Every call takes a connection from the
/// pool for as long as it runs; every append, and a create without an idempotency key, is one
/// statement, one round trip, committed when it returns. Calls fail with
/// [`Error::Unavailable`] within the bounds of [`PgOptions`] while the database cannot be
/// reached, and work again as soon as it can: the pool replaces broken connections by itself.
///
/// Per-ticket order: an append first locks its ticket's row, then takes its id from the
/// sequence and holds the lock until it commits, so within one ticket ids are handed out in
/// commit order and a reader that has seen message N never later finds a smaller id.
///
/// Under load, small requests are coalesced ([`PgOptions::lanes`]): appends without an
/// idempotency key beyond the first few in flight are written together, one statement and one
/// commit for the batch, each caller answered after the commit holding its message; ticket
/// lookups beyond the first few are answered by one query. The background tasks doing this
/// run on the runtime the store was connected on.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    appender: Appender,
    lookup: TicketLookup,
    shared: Arc<Shared>,
}

/// What the listener and the broadcaster need besides the pool.
pub(crate) struct Shared {
    /// How every connection of this store connects, so a listener opens its own the same way.
    pub(crate) connect: PgConnectOptions,
    pub(crate) options: PgOptions,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool)
            .field("options", &self.shared.options)
            .finish()
    }
}

impl PgStore {
    /// Connects with default [`PgOptions`] and applies the embedded migrations.
    ///
    /// `url` is a libpq-style URL, `postgres://user:password@host:port/database?…`. A wrong
    /// address, password or database name fails here: unreachable is
    /// [`Error::Unavailable`], refused credentials or a missing database [`Error::Backend`].
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PgOptions::default()).await
    }

    /// [`PgStore::connect`] with explicit options.
    pub async fn connect_with(url: &str, options: PgOptions) -> Result<Self> {
        let bound = options.call_timeout;
        let (pool, connect) = tokio::time::timeout(bound, connect::open(url, &options))
            .await
            .unwrap_or_else(|_| Err(timed_out("connecting")))?;
        Ok(PgStore {
            appender: Appender::spawn(pool.clone(), options.lanes),
            lookup: TicketLookup::spawn(pool.clone(), options.lanes),
            pool,
            shared: Arc::new(Shared { connect, options }),
        })
    }

    /// Closes every connection, waiting for calls in flight. Dropping the store without
    /// calling this loses nothing that was committed.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The plan Postgres chooses for a ticket list, one line per `EXPLAIN` output row: for
    /// checking that a list is read from an index in order rather than sorted.
    pub async fn explain_tickets(&self, q: &TicketQuery) -> Result<Vec<String>> {
        let (sql, values) = query::tickets(q);
        let plan = sqlx::query_with(&format!("EXPLAIN {sql}"), values)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        plan.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(from_sqlx))
            .collect()
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Runs one call under [`PgOptions::call_timeout`].
    pub(crate) async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(self.shared.options.call_timeout, call)
            .await
            .unwrap_or_else(|_| Err(timed_out(what)))
    }

    async fn create(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        let Some(key) = &d.idempotency_key else {
            return insert_ticket(&self.pool, d).await.map(Created::New);
        };
        if let Some(done) = self.ticket_for_key(d.employee.id, key).await? {
            return Ok(done);
        }
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        let (ticket, message) = insert_ticket(&mut *tx, d).await?;
        let used = KeyUse::Ticket {
            ticket: ticket.id,
            message: message.as_ref().map(|m| m.id),
        };
        if remember(&mut *tx, d.employee.id, key, &used).await? {
            tx.commit().await.map_err(from_sqlx)?;
            return Ok(Created::New((ticket, message)));
        }
        // A concurrent request with the same key committed first: undo this one and answer
        // what that one stored.
        tx.rollback().await.map_err(from_sqlx)?;
        self.ticket_for_key(d.employee.id, key)
            .await?
            .ok_or_else(|| Error::Conflict("idempotency key is in use".into()))
    }

    /// What an earlier create with this key stored, if there was one.
    async fn ticket_for_key(
        &self,
        user: UserId,
        key: &IdempotencyKey,
    ) -> Result<Option<Created<(Ticket, Option<Message>)>>> {
        let Some(used) = remembered(&self.pool, user, key).await? else {
            return Ok(None);
        };
        let (t, m) = used.replay_create()?;
        let ticket = select_ticket(&self.pool, t).await?.ok_or(Error::NotFound)?;
        let message = match m {
            Some(m) => select_message(&self.pool, m).await?,
            None => None,
        };
        Ok(Some(Created::Existing((ticket, message))))
    }

    async fn append(&self, d: &MessageDraft) -> Result<Created<Appended>> {
        if !d.attachments.is_empty() {
            // The links to the uploads go in the message's transaction: not one statement.
            if let Some(appended) = self.append_with_uploads(d).await? {
                return Ok(appended);
            }
            let key = d.idempotency_key.as_ref().ok_or(Error::NotFound)?;
            return self
                .message_for_key(d.author.id, key)
                .await?
                .ok_or(Error::NotFound);
        }
        let Some(key) = &d.idempotency_key else {
            return self.appender.append(d.pending()).await.map(Created::New);
        };
        // The first use of a key is the one that must be quick: one statement writes the
        // message and the key's record, or nothing. Only when nothing was written is the key
        // looked up, to tell a retry from a missing ticket.
        if let Some(message) = append::insert_keyed(&self.pool, d.pending(), key).await? {
            return Ok(Created::New(message));
        }
        self.message_for_key(d.author.id, key)
            .await?
            .ok_or(Error::NotFound)
    }

    /// What an earlier append with this key stored, if there was one.
    async fn message_for_key(
        &self,
        user: UserId,
        key: &IdempotencyKey,
    ) -> Result<Option<Created<Appended>>> {
        let Some(used) = remembered(&self.pool, user, key).await? else {
            return Ok(None);
        };
        let (_, m) = used.replay_append()?;
        let message = select_message(&self.pool, m)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(Some(Created::Existing(Appended::message(message))))
    }

    async fn update(&self, id: TicketId, change: &TicketChange) -> Result<Option<TicketUpdate>> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        // Locks the ticket's rows in `tickets` and `ticket_activity`. FOR NO KEY UPDATE, not
        // FOR UPDATE: it still queues concurrent changes of this ticket (and appends, which
        // lock its activity row), but lets other transactions insert rows that merely
        // reference the ticket, which only need a key-share lock.
        let row = sqlx::query(&format!(
            "SELECT {TICKET_COLUMNS} FROM ticket_rows WHERE id = $1 FOR NO KEY UPDATE"
        ))
        .bind(id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let Some(before) = row.as_ref().map(row::ticket).transpose()? else {
            return Ok(None);
        };
        let key = change.idempotency_key.as_ref();
        if let Some(key) = key {
            // Read under the ticket's lock: a retry of this change by the same user waited
            // for the first to commit, and sees its key now.
            if let Some(used) = remembered(&mut *tx, change.author.id, key).await? {
                used.replay_update(id, &change.patch)?;
                return Ok(Some(TicketUpdate::unchanged(before)));
            }
        }
        // Compare-and-set: the row was read under its lock, so no change can slip in between
        // this comparison and the write. Dropping the transaction frees the lock.
        change.check_version(&before)?;
        let (after, changes) = change.apply(&before);
        if changes.is_empty() && key.is_none() {
            // Nothing to write; dropping the transaction rolls it back and frees the lock.
            return Ok(Some(TicketUpdate {
                before,
                after,
                changes,
            }));
        }
        if !changes.is_empty() {
            Self::write_change(&mut tx, id, change, &after, &changes).await?;
        }
        if let Some(key) = key {
            let used = KeyUse::update(id, &change.patch);
            if !remember(&mut *tx, change.author.id, key, &used).await? {
                // The same user's key was recorded meanwhile by a change of another ticket
                // (a change of this one would have waited for the lock): undo this one and
                // answer as that key's use says.
                tx.rollback().await.map_err(from_sqlx)?;
                let used = remembered(&self.pool, change.author.id, key)
                    .await?
                    .ok_or_else(|| Error::Conflict("idempotency key is in use".into()))?;
                used.replay_update(id, &change.patch)?;
                let now = select_ticket(&self.pool, id)
                    .await?
                    .ok_or(Error::NotFound)?;
                return Ok(Some(TicketUpdate::unchanged(now)));
            }
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(TicketUpdate {
            before,
            after,
            changes,
        }))
    }

    /// The new row and its audit entries, in one statement.
    async fn write_change(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        id: TicketId,
        change: &TicketChange,
        after: &Ticket,
        changes: &[support_core::Change],
    ) -> Result<()> {
        let entries: Vec<serde_json::Value> = changes
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(Error::backend)?;
        // The new row and its audit entries in one statement; WITH ORDINALITY keeps the
        // entries' ids in the order of `changes`.
        sqlx::query(
            "WITH u AS ( \
                 UPDATE tickets SET status = $2, priority = $3, assigned_to = $4, \
                     resolved_at = $5, version = $10, first_response_due = $11, \
                     resolution_due = $12, sla_paused_at = $13, sla_paused_us = $14, \
                     archived_at = $16 \
                 WHERE id = $1 RETURNING id \
             ), activity AS ( \
                 UPDATE ticket_activity SET updated_at = $6 WHERE ticket_id = $1 \
             ) \
             INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at) \
             SELECT u.id, $7, $8, 'ticket', c.change, $15, $6 \
             FROM u, unnest($9::jsonb[]) WITH ORDINALITY AS c (change, n) \
             ORDER BY c.n",
        )
        .bind(id.get())
        .bind(after.status.as_str())
        .bind(after.priority.rank())
        .bind(after.assigned_to.map(UserId::get))
        .bind(after.resolved_at)
        .bind(after.updated_at)
        .bind(change.author.id.get())
        .bind(&change.author.name)
        .bind(entries)
        .bind(after.version)
        .bind(after.sla.first_response_due)
        .bind(after.sla.resolution_due)
        .bind(after.sla.paused_since)
        .bind(after.sla.paused_us)
        .bind(change.author.origin.map(|o| o.to_string()))
        .bind(after.archived_at)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn message_page(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        let page = sql::message_page(q);
        let (statement, values) = page.select.build_sqlx(PostgresQueryBuilder);
        let found = sqlx::query_with(&statement, values)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(page.oldest_first(row::all(&found, row::message)?))
    }

    async fn counts(&self) -> Result<Stats> {
        let counts: Vec<(String, i16, i64)> = sqlx::query_as(sql::TICKET_COUNTS)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let counts = counts.into_iter().map(|(s, rank, n)| (s, rank.into(), n));
        sql::stats_from_counts(counts)
    }
}

/// `kind`, `ticket_id`, `message_id`, `request` of an `idempotency_keys` row.
type KeyColumns = (String, i64, Option<i64>, Option<String>);

/// What `user` first used `key` for, if they did.
async fn remembered(
    ex: impl PgExecutor<'_>,
    user: UserId,
    key: &IdempotencyKey,
) -> Result<Option<KeyUse>> {
    let row: Option<KeyColumns> = sqlx::query_as(
        r#"SELECT kind, ticket_id, message_id, request FROM idempotency_keys WHERE user_id = $1 AND "key" = $2"#,
    )
    .bind(user.get())
    .bind(key.as_str())
    .fetch_optional(ex)
    .await
    .map_err(from_sqlx)?;
    row.map(|(kind, ticket, message, request)| {
        KeyUse::from_columns(&kind, ticket, message, request)
            .ok_or_else(|| bad_data("idempotency key", format!("kind {kind:?}")))
    })
    .transpose()
}

/// Records what `key` stored, as the last statement of the transaction that stored it.
/// `false` when another transaction holding the same key committed first: Postgres makes this
/// insert wait for that transaction and then skips it, so the caller rolls back and answers
/// the first result. Two requests with one key therefore never both commit.
async fn remember(
    ex: impl PgExecutor<'_>,
    user: UserId,
    key: &IdempotencyKey,
    used: &KeyUse,
) -> Result<bool> {
    let inserted = sqlx::query(
        r#"INSERT INTO idempotency_keys (user_id, "key", kind, ticket_id, message_id, request)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (user_id, "key") DO NOTHING"#,
    )
    .bind(user.get())
    .bind(key.as_str())
    .bind(used.kind())
    .bind(used.ticket_id().get())
    .bind(used.message_id().map(MessageId::get))
    .bind(used.request())
    .execute(ex)
    .await
    .map_err(from_sqlx)?;
    Ok(inserted.rows_affected() == 1)
}

async fn select_message(ex: impl PgExecutor<'_>, id: MessageId) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(ex)
    .await
    .map_err(from_sqlx)?;
    row.as_ref().map(row::message).transpose()
}

/// The ticket, its `Created` audit entry and the optional first message in one statement.
/// Without an idempotency key that is the whole create: one round trip, committed on return.
async fn insert_ticket(
    ex: impl PgExecutor<'_>,
    d: &TicketDraft,
) -> Result<(Ticket, Option<Message>)> {
    let audit = d.audit_entry();
    let clocks = d.clocks();
    let first = d.first_message.as_ref().map(|b| b.as_str());
    let row = sqlx::query(
        "WITH t AS ( \
             INSERT INTO tickets (employee_id, subject, description, category, priority, status, \
                 created_at, first_response_due, resolution_due) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $10, $11) \
             RETURNING id, ticket_number \
         ), activity AS ( \
             INSERT INTO ticket_activity (ticket_id, employee_id, updated_at) \
             SELECT id, $1, $6 FROM t \
         ), a AS ( \
             INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at) \
             SELECT id, $1, $7, 'ticket', $8, $12, $6 FROM t \
         ), m AS ( \
             INSERT INTO messages (ticket_id, author_id, author_name, author_type, content, \
                 is_internal, created_at, origin) \
             SELECT id, $1, $7, 'employee', $9, FALSE, $6, $12 FROM t WHERE $9::text IS NOT NULL \
             RETURNING id \
         ) \
         SELECT t.id, t.ticket_number, m.id AS message_id FROM t LEFT JOIN m ON TRUE",
    )
    .bind(d.employee.id.get())
    .bind(d.ticket.subject.as_str())
    .bind(d.ticket.description.as_str())
    .bind(d.ticket.category.as_str())
    .bind(d.ticket.priority.rank())
    .bind(d.at)
    .bind(&d.employee.name)
    .bind(Json(&audit.change))
    .bind(first)
    .bind(clocks.first_response_due)
    .bind(clocks.resolution_due)
    .bind(d.employee.origin.map(|o| o.to_string()))
    .fetch_one(ex)
    .await
    .map_err(from_sqlx)?;
    let id = TicketId(row.try_get("id").map_err(from_sqlx)?);
    let number: String = row.try_get("ticket_number").map_err(from_sqlx)?;
    let message_id: Option<i64> = row.try_get("message_id").map_err(from_sqlx)?;
    let ticket = d.ticket(id, TicketNumber::from_stored(number));
    let message = match (d.pending_first_message(id), message_id) {
        (Some(first), Some(m)) => Some(first.stored(MessageId(m))),
        (None, None) => None,
        _ => return Err(bad_data("first message", "insert and draft disagree")),
    };
    Ok((ticket, message))
}

#[async_trait]
impl SupportStore for PgStore {
    async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        self.bounded("create_ticket", self.create(d)).await
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.bounded("ticket", self.lookup.get(id)).await
    }

    async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
        self.bounded("tickets", async {
            let (sql, values) = query::tickets(q);
            let found = sqlx::query_with(&sql, values)
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
            row::all(&found, row::ticket)
        })
        .await
    }

    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>> {
        self.bounded("update_ticket", self.update(id, change)).await
    }

    async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
        self.bounded("append_message", self.append(d)).await
    }

    async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        self.bounded("messages", self.message_page(q)).await
    }

    async fn stats(&self) -> Result<Stats> {
        self.bounded("stats", self.counts()).await
    }

    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        self.bounded("audit_trail", self.select_activity(ticket_id))
            .await
    }

    async fn record_audit(&self, record: &NewAuditRecord) -> Result<AuditRecord> {
        self.bounded("record_audit", self.write_record(record))
            .await
    }

    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        self.bounded("audit_log", self.select_log(query)).await
    }

    async fn mark_read(
        &self,
        position: &support_core::ReadPosition,
    ) -> Result<Option<support_core::reads::ReadAdvance>> {
        self.bounded("mark_read", self.advance_read(position)).await
    }

    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<support_core::TicketSummary>> {
        self.bounded(
            "ticket_summaries",
            self.summaries(tickets, reader, include_internal),
        )
        .await
    }

    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<support_core::ReadPosition>> {
        self.bounded("read_positions", self.positions(ticket_id))
            .await
    }

    async fn react(
        &self,
        change: &support_core::reaction::ReactionChange,
    ) -> Result<Option<support_core::reaction::ReactionOutcome>> {
        self.bounded("react", self.apply_reaction(change)).await
    }

    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<support_core::reaction::MessageReactions>> {
        self.bounded(
            "reactions",
            self.message_reactions(ticket_id, messages, viewer),
        )
        .await
    }

    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<support_core::CannedResponse>> {
        self.bounded("canned_responses", self.canned_for(viewer))
            .await
    }

    async fn save_canned_response(
        &self,
        id: Option<support_core::CannedResponseId>,
        d: &support_core::canned::CannedDraft,
    ) -> Result<Option<support_core::CannedResponse>> {
        self.bounded("save_canned_response", self.save_canned(id, d))
            .await
    }

    async fn delete_canned_response(&self, id: support_core::CannedResponseId) -> Result<bool> {
        self.bounded("delete_canned_response", self.delete_canned(id))
            .await
    }

    async fn ticket_templates(&self) -> Result<Vec<support_core::TicketTemplate>> {
        self.bounded("ticket_templates", self.templates()).await
    }

    async fn save_ticket_template(
        &self,
        id: Option<support_core::TicketTemplateId>,
        d: &support_core::canned::TemplateDraft,
    ) -> Result<Option<support_core::TicketTemplate>> {
        self.bounded("save_ticket_template", self.save_template(id, d))
            .await
    }

    async fn delete_ticket_template(&self, id: support_core::TicketTemplateId) -> Result<bool> {
        self.bounded("delete_ticket_template", self.delete_template(id))
            .await
    }

    async fn create_upload(&self, d: &support_core::UploadDraft) -> Result<support_core::Upload> {
        self.bounded("create_upload", self.insert_upload(d)).await
    }

    async fn upload(&self, id: support_core::AttachmentId) -> Result<Option<support_core::Upload>> {
        self.bounded("upload", self.select_upload(id)).await
    }

    async fn unattached_uploads(
        &self,
        before: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::Upload>> {
        self.bounded("unattached_uploads", self.select_unattached(before, limit))
            .await
    }

    async fn delete_upload(&self, id: support_core::AttachmentId) -> Result<bool> {
        self.bounded("delete_upload", self.remove_upload(id)).await
    }

    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        self.bounded("blob_in_use", self.sha256_in_use(sha256))
            .await
    }

    // --- sla ---
    async fn mark_sla_breaches(
        &self,
        now: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::SlaBreach>> {
        self.bounded("mark_sla_breaches", self.mark_breaches(now, limit))
            .await
    }
    async fn report_facts(
        &self,
        from: support_core::Timestamp,
        to: support_core::Timestamp,
    ) -> Result<Vec<support_core::report::ReportFacts>> {
        self.bounded("report_facts", self.facts(from, to)).await
    }
    // --- archive ---
    async fn archive_closed(
        &self,
        batch: &support_core::archive::ArchiveBatch,
    ) -> Result<Vec<TicketId>> {
        self.bounded("archive_closed", self.archive_batch(batch))
            .await
    }

    // --- search ---
    async fn search(
        &self,
        q: &support_core::search::SearchQuery,
    ) -> Result<Vec<support_core::SearchHit>> {
        self.bounded("search", self.search_text(q)).await
    }

    async fn ping(&self) -> Result<()> {
        self.bounded("ping", async {
            sqlx::query("SELECT 1")
                .execute(&self.pool)
                .await
                .map(|_| ())
                .map_err(from_sqlx)
        })
        .await
    }
}
