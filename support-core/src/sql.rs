//! The reads that both SQL stores make the same way (feature `sql`): the ticket list, a page
//! of messages and the stats.
//!
//! [`ticket_list`] turns a [`TicketQuery`] into a sea-query `SELECT` whose every clause mirrors
//! the reference semantics of [`crate::store`]: the filter [`TicketFilter::matches`], the order
//! [`TicketOrder::compare`] and the keyset [`TicketKey::precedes`]. What differs between
//! databases (where the rows are, how a timestamp is bound, how text is searched, what a
//! planner needs to pick an index) is a [`Dialect`], which each store implements next to its
//! schema. The shapes are chosen so that both SQLite and PostgreSQL read each of the service's
//! lists from an index in order, without sorting; each store's `explain` test checks its plans.
//! [`message_page`] reads a [`MessageQuery`] from the `(ticket_id, id)` index, and
//! [`TICKET_COUNTS`] with [`stats_from_counts`] reads the stats from the `ticket_counts` table
//! the stores' triggers keep exact. [`audit_log`] reads a page of the audit log
//! ([`AuditQuery`]) newest first. [`AuditRow`], [`BreachRow`] and [`FactsRow`] are rows on
//! their way to the domain, decoded alike by both.
//!
//! Why a feature of `support-core` rather than a crate of its own: sea-query builds SQL without
//! any I/O, so this is domain logic (the same rules as [`TicketFilter::matches`], kept beside
//! them so that a change to one is seen next to the other) and no database comes with it. The
//! feature depends on `sea-query` without any backend; a store enables its backend
//! (`backend-sqlite`, `backend-postgres`) and its binder itself, and builds the statement with
//! its own query builder. A new crate would hold one module and need the same dependencies.
//!
//! [`TicketFilter::matches`]: crate::store::TicketFilter::matches

use sea_query::{Alias, Cond, Expr, Iden, Order, Query, SelectStatement, SimpleExpr, Value};

use crate::audit::{Action, AuditQuery, AuditRecord};
use crate::error::{Error, Result};
use crate::report::ReportFacts;
use crate::sla::{SlaBreach, SlaClock};
use crate::stats::Stats;
use crate::store::{MessagePosition, MessageQuery, TicketKey, TicketOrder, TicketQuery};
use crate::ticket::{Category, Choice, Priority, Status};
use crate::time::Timestamp;
use crate::validate;

/// What one database does its own way. Implemented by each SQL store for a marker type.
///
/// # Contract
///
/// - [`Dialect::TABLE`] names a table or view with the columns of [`TicketColumn`], holding
///   every ticket with its latest activity in `updated_at`.
/// - [`Dialect::timestamp`] binds a time so that it compares with the stored
///   `created_at`/`updated_at` values in the same order as [`Timestamp`]s do.
/// - [`Dialect::contains`] is true exactly when the column's text, with ASCII letters
///   lowercased, contains `lowered` (already lowercased the same way): no other folding and no
///   wildcards, as [`TicketFilter::matches`](crate::store::TicketFilter::matches) compares.
pub trait Dialect {
    /// The table (or view) the rows are read from.
    const TABLE: &'static str;

    /// True if the query should repeat the queue's partial index condition (the active
    /// statuses) when it asks only for active statuses. That changes no result (it is
    /// implied) but SQLite uses a partial index only when the query's WHERE clause contains
    /// the index's condition term for term. PostgreSQL proves the implication itself.
    const RESTATE_QUEUE_CONDITION: bool = false;

    /// A timestamp as a bound value.
    fn timestamp(t: Timestamp) -> Value;

    /// `column` holds `lowered`, ignoring ASCII case.
    fn contains(column: &'static str, lowered: &str) -> SimpleExpr;
}

/// The columns of a ticket row, in the order [`ticket_list`] selects them.
#[derive(Iden, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketColumn {
    /// `id`
    Id,
    /// `ticket_number`
    TicketNumber,
    /// `employee_id`
    EmployeeId,
    /// `subject`
    Subject,
    /// `description`
    Description,
    /// `category`: the wire name.
    Category,
    /// `priority`: [`Priority::rank`](crate::Priority::rank).
    Priority,
    /// `status`: the wire name.
    Status,
    /// `assigned_to`
    AssignedTo,
    /// `resolved_at`
    ResolvedAt,
    /// `created_at`
    CreatedAt,
    /// `updated_at`: the latest activity.
    UpdatedAt,
    /// `version`: [`Ticket::version`](crate::Ticket::version).
    Version,
    /// `first_response_at`
    FirstResponseAt,
    /// `first_response_due`: [`Sla::first_response_due`](crate::Sla::first_response_due).
    FirstResponseDue,
    /// `resolution_due`
    ResolutionDue,
    /// `first_response_breached`: a boolean.
    FirstResponseBreached,
    /// `resolution_breached`: a boolean.
    ResolutionBreached,
    /// `sla_paused_at`: [`Sla::paused_since`](crate::Sla::paused_since).
    SlaPausedAt,
    /// `sla_paused_us`: [`Sla::paused_us`](crate::Sla::paused_us).
    SlaPausedUs,
    /// `archived_at`: [`Ticket::archived_at`](crate::Ticket::archived_at).
    ArchivedAt,
}

impl TicketColumn {
    /// Every column, in the order they are selected.
    pub const ALL: [TicketColumn; 21] = [
        TicketColumn::Id,
        TicketColumn::TicketNumber,
        TicketColumn::EmployeeId,
        TicketColumn::Subject,
        TicketColumn::Description,
        TicketColumn::Category,
        TicketColumn::Priority,
        TicketColumn::Status,
        TicketColumn::AssignedTo,
        TicketColumn::ResolvedAt,
        TicketColumn::CreatedAt,
        TicketColumn::UpdatedAt,
        TicketColumn::Version,
        TicketColumn::FirstResponseAt,
        TicketColumn::FirstResponseDue,
        TicketColumn::ResolutionDue,
        TicketColumn::FirstResponseBreached,
        TicketColumn::ResolutionBreached,
        TicketColumn::SlaPausedAt,
        TicketColumn::SlaPausedUs,
        TicketColumn::ArchivedAt,
    ];
}

/// `status IN (…)` with the names written into the SQL rather than bound, in declaration order.
///
/// A planner may use a partial index on the status only if it can match or prove the index's
/// condition from the query's, which it cannot do for a bound parameter. The names come from a
/// closed enumeration, so writing them inline is safe.
pub fn status_in(statuses: impl IntoIterator<Item = Status>) -> SimpleExpr {
    let wanted: Vec<Status> = statuses.into_iter().collect();
    let names: Vec<String> = Status::ALL
        .iter()
        .filter(|s| wanted.contains(s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    Expr::cust(format!("\"status\" IN ({})", names.join(", ")))
}

/// Text that must occur in the subject, description or number, ignoring ASCII case. A text
/// holding a character that validation refuses matches nothing: no stored field holds one
/// (and PostgreSQL could not even be sent a NUL).
fn contains_text<D: Dialect>(text: &str) -> SimpleExpr {
    if text.chars().any(validate::is_refused_character) {
        return Expr::cust("FALSE");
    }
    let lowered = text.to_ascii_lowercase();
    let mut any = Cond::any();
    for column in ["subject", "description", "ticket_number"] {
        any = any.add(D::contains(column, &lowered));
    }
    any.into()
}

/// Rows strictly after `k` in `order`.
fn after<D: Dialect>(order: TicketOrder, k: &TicketKey) -> Cond {
    let id = k.id.get();
    match order {
        TicketOrder::Newest => Cond::all().add(Expr::col(TicketColumn::Id).lt(id)),
        TicketOrder::Activity => {
            // A row value compares lexicographically, like (updated_at, id) in the order, and
            // both planners turn it into a range on the (employee_id, updated_at, id) index.
            Cond::all().add(
                Expr::tuple([
                    Expr::col(TicketColumn::UpdatedAt).into(),
                    Expr::col(TicketColumn::Id).into(),
                ])
                .lt(Expr::tuple([
                    Expr::val(D::timestamp(k.updated_at)).into(),
                    Expr::val(id).into(),
                ])),
            )
        }
        TicketOrder::Queue => {
            // Mixed directions rule out one row value. The leading `priority <= rank` is implied
            // by the disjunction; it is there so the index scan starts at the key's priority.
            let rank = k.priority.rank();
            let created = D::timestamp(k.created_at);
            let same_time_later_id = Cond::all()
                .add(Expr::col(TicketColumn::CreatedAt).eq(created.clone()))
                .add(Expr::col(TicketColumn::Id).gt(id));
            let later_in_priority = Cond::all()
                .add(Expr::col(TicketColumn::Priority).eq(rank))
                .add(
                    Cond::any()
                        .add(Expr::col(TicketColumn::CreatedAt).gt(created))
                        .add(same_time_later_id),
                );
            Cond::all()
                .add(Expr::col(TicketColumn::Priority).lte(rank))
                .add(
                    Cond::any()
                        .add(Expr::col(TicketColumn::Priority).lt(rank))
                        .add(later_in_priority),
                )
        }
    }
}

/// The `SELECT` of one page of tickets: [`TicketColumn::ALL`] from [`Dialect::TABLE`], filtered,
/// strictly after `q.after`, in `q.order`, at most `q.limit` rows. Build it with the store's
/// query builder.
pub fn ticket_list<D: Dialect>(q: &TicketQuery) -> SelectStatement {
    let f = &q.filter;
    let mut select = Query::select();
    select.columns(TicketColumn::ALL).from(Alias::new(D::TABLE));

    if let Some(e) = f.employee_id {
        select.and_where(Expr::col(TicketColumn::EmployeeId).eq(e.get()));
    }
    if !f.statuses.is_empty() {
        select.and_where(status_in(f.statuses.iter().copied()));
        if D::RESTATE_QUEUE_CONDITION && f.statuses.iter().all(|s| s.is_active()) {
            select.and_where(status_in(Status::ACTIVE.iter().copied()));
        }
    }
    if let Some(p) = f.priority {
        select.and_where(Expr::col(TicketColumn::Priority).eq(p.rank()));
    }
    if let Some(c) = f.category {
        select.and_where(Expr::col(TicketColumn::Category).eq(c.as_str()));
    }
    match f.assigned_to {
        None => {}
        Some(None) => {
            select.and_where(Expr::col(TicketColumn::AssignedTo).is_null());
        }
        Some(Some(user)) => {
            select.and_where(Expr::col(TicketColumn::AssignedTo).eq(user.get()));
        }
    }
    match f.archived {
        None => {}
        Some(true) => {
            select.and_where(Expr::col(TicketColumn::ArchivedAt).is_not_null());
        }
        Some(false) => {
            select.and_where(Expr::col(TicketColumn::ArchivedAt).is_null());
        }
    }
    if let Some(text) = &f.text {
        select.and_where(contains_text::<D>(text));
    }
    if let Some(k) = &q.after {
        select.cond_where(after::<D>(q.order, k));
    }

    match q.order {
        TicketOrder::Newest => {
            select.order_by(TicketColumn::Id, Order::Desc);
        }
        TicketOrder::Activity => {
            select
                .order_by(TicketColumn::UpdatedAt, Order::Desc)
                .order_by(TicketColumn::Id, Order::Desc);
        }
        TicketOrder::Queue => {
            select
                .order_by(TicketColumn::Priority, Order::Desc)
                .order_by(TicketColumn::CreatedAt, Order::Asc)
                .order_by(TicketColumn::Id, Order::Asc);
        }
    }
    select.limit(u64::from(q.limit));
    select
}

/// The columns of a `messages` row, as [`message_page`] selects them.
#[derive(Iden, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageColumn {
    /// `id`
    Id,
    /// `ticket_id`
    TicketId,
    /// `author_id`
    AuthorId,
    /// `author_name`
    AuthorName,
    /// `author_type`: the wire name.
    AuthorType,
    /// `content`
    Content,
    /// `is_internal`
    IsInternal,
    /// `attachments`: JSON.
    Attachments,
    /// `created_at`
    CreatedAt,
}

impl MessageColumn {
    /// Every column, in the order they are selected.
    pub const ALL: [MessageColumn; 9] = [
        MessageColumn::Id,
        MessageColumn::TicketId,
        MessageColumn::AuthorId,
        MessageColumn::AuthorName,
        MessageColumn::AuthorType,
        MessageColumn::Content,
        MessageColumn::IsInternal,
        MessageColumn::Attachments,
        MessageColumn::CreatedAt,
    ];
}

/// A page of messages to read: the statement, and the order its rows come in.
#[derive(Debug, Clone)]
pub struct MessagePage {
    /// [`MessageColumn::ALL`] from `messages`; build it with the store's query builder.
    pub select: SelectStatement,
    /// True when the rows come newest first (`Latest`, `Before`: the newest `limit` of the
    /// range), which [`MessagePage::oldest_first`] turns around.
    pub newest_first: bool,
}

impl MessagePage {
    /// The rows read, in the order a page is returned: oldest first.
    pub fn oldest_first<T>(&self, mut rows: Vec<T>) -> Vec<T> {
        if self.newest_first {
            rows.reverse();
        }
        rows
    }
}

/// The `SELECT` of a page of one ticket's messages, leaving out internal notes unless asked:
/// a range of the `(ticket_id, id)` index, read in the direction that reaches the page first.
pub fn message_page(q: &MessageQuery) -> MessagePage {
    let mut select = Query::select();
    select
        .columns(MessageColumn::ALL)
        .from(Alias::new("messages"))
        .and_where(Expr::col(MessageColumn::TicketId).eq(q.ticket_id.get()));
    if !q.include_internal {
        select.and_where(Expr::col(MessageColumn::IsInternal).eq(false));
    }
    let newest_first = match q.position {
        MessagePosition::After(after) => {
            select
                .and_where(Expr::col(MessageColumn::Id).gt(after.get()))
                .order_by(MessageColumn::Id, Order::Asc);
            false
        }
        MessagePosition::Before(before) => {
            select
                .and_where(Expr::col(MessageColumn::Id).lt(before.get()))
                .order_by(MessageColumn::Id, Order::Desc);
            true
        }
        MessagePosition::Latest => {
            select.order_by(MessageColumn::Id, Order::Desc);
            true
        }
    };
    select.limit(u64::from(q.limit));
    MessagePage {
        select,
        newest_first,
    }
}

/// The rows the stats are counted from: `(status, priority, n)` of the `ticket_counts` table,
/// which the stores' triggers keep exact in every write transaction, so the stats read a
/// handful of rows however many tickets there are. Only the statuses the stats count.
pub const TICKET_COUNTS: &str =
    "SELECT status, priority, n FROM ticket_counts WHERE status IN ('open', 'in_progress')";

/// The stats from the rows of [`TICKET_COUNTS`]: (status name, priority rank, count). A row
/// that does not fit the domain (an unknown status or rank, a negative count) is
/// [`Error::Backend`]: the table was written by something else, or damaged.
pub fn stats_from_counts(rows: impl IntoIterator<Item = (String, i64, i64)>) -> Result<Stats> {
    let bad = bad_stored;
    let mut stats = Stats::default();
    for (status, rank, n) in rows {
        let status = Status::from_name(&status).ok_or_else(|| bad("status", &status))?;
        let priority = Priority::from_rank(rank).ok_or_else(|| bad("priority", &rank))?;
        let n = u64::try_from(n).map_err(|_| bad("ticket count", &n))?;
        stats.add_count(status, priority, n);
    }
    Ok(stats)
}

/// What a stored value that does not fit the domain is: [`Error::Backend`], naming it.
fn bad_stored(what: &str, value: &dyn std::fmt::Display) -> Error {
    Error::backend(format!("stored {what} is invalid: {value}"))
}

/// A `tickets` row an SLA sweep marked (`RETURNING id, ticket_number, priority, … AS due_at`),
/// on its way to an [`SlaBreach`]: the decoding both SQL stores share.
#[derive(Debug, Clone)]
pub struct BreachRow {
    /// `id`
    pub id: i64,
    /// `ticket_number` (never null for a stored ticket).
    pub ticket_number: Option<String>,
    /// `priority`: its rank ([`Priority::from_rank`]).
    pub priority: i64,
    /// The marked clock's due time.
    pub due_at: Timestamp,
}

impl BreachRow {
    /// The breach of `clock`; a null number or an unknown rank is [`Error::Backend`].
    pub fn breach(self, clock: SlaClock) -> Result<SlaBreach> {
        Ok(SlaBreach {
            ticket_id: crate::TicketId(self.id),
            ticket_number: crate::TicketNumber::from_stored(
                self.ticket_number
                    .ok_or_else(|| bad_stored("ticket_number", &"NULL"))?,
            ),
            clock,
            due_at: self.due_at,
            priority: Priority::from_rank(self.priority)
                .ok_or_else(|| bad_stored("priority", &self.priority))?,
        })
    }
}

/// The columns of `tickets` a report reads, in the order [`FactsRow`] holds them.
pub const REPORT_FACTS_COLUMNS: &str = "id, category, priority, assigned_to, created_at, \
     first_response_at, resolved_at, first_response_breached, resolution_breached";

/// A `tickets` row of [`REPORT_FACTS_COLUMNS`], on its way to [`ReportFacts`]: the decoding
/// both SQL stores share.
#[derive(Debug, Clone)]
pub struct FactsRow {
    /// `id`
    pub id: i64,
    /// `category`: its name.
    pub category: String,
    /// `priority`: its rank.
    pub priority: i64,
    /// `assigned_to`
    pub assigned_to: Option<i64>,
    /// `created_at`
    pub created_at: Timestamp,
    /// `first_response_at`
    pub first_response_at: Option<Timestamp>,
    /// `resolved_at`
    pub resolved_at: Option<Timestamp>,
    /// `first_response_breached`
    pub first_response_breached: bool,
    /// `resolution_breached`
    pub resolution_breached: bool,
}

impl FactsRow {
    /// The facts; an unknown category or rank is [`Error::Backend`].
    pub fn facts(self) -> Result<ReportFacts> {
        Ok(ReportFacts {
            id: crate::TicketId(self.id),
            category: Category::from_name(&self.category)
                .ok_or_else(|| bad_stored("category", &format!("{:?}", self.category)))?,
            priority: Priority::from_rank(self.priority)
                .ok_or_else(|| bad_stored("priority", &self.priority))?,
            assigned_to: self.assigned_to.map(crate::UserId),
            created_at: self.created_at,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            sla_breaches: u8::from(self.first_response_breached)
                + u8::from(self.resolution_breached),
        })
    }
}

/// The columns of an `audit_entries` row, as [`audit_log`] selects them.
#[derive(Iden, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditColumn {
    /// `audit_entries`: the table.
    #[iden = "audit_entries"]
    Table,
    /// `id`
    Id,
    /// `ticket_id`: null for an action on no ticket.
    TicketId,
    /// `actor_id`: null when nobody proved who acted.
    ActorId,
    /// `actor_name`
    ActorName,
    /// `action`: [`crate::audit::Action::name`].
    Action,
    /// `change`: the action's fields as JSON ([`crate::audit::Action::detail`]).
    Change,
    /// `origin`: the client's address, as text.
    Origin,
    /// `at`
    At,
}

impl AuditColumn {
    /// Every column of a record, in the order they are selected.
    pub const ALL: [AuditColumn; 8] = [
        AuditColumn::Id,
        AuditColumn::TicketId,
        AuditColumn::ActorId,
        AuditColumn::ActorName,
        AuditColumn::Action,
        AuditColumn::Change,
        AuditColumn::Origin,
        AuditColumn::At,
    ];
}

/// The `SELECT` of one page of the audit log: [`AuditColumn::ALL`] of the records that
/// [`AuditQuery::matches`], newest first, at most `q.limit`. `timestamp` binds a time as the
/// store keeps `at`.
pub fn audit_log(q: &AuditQuery, timestamp: impl Fn(Timestamp) -> Value) -> SelectStatement {
    let mut select = Query::select();
    select.columns(AuditColumn::ALL).from(AuditColumn::Table);
    if let Some(t) = q.ticket_id {
        select.and_where(Expr::col(AuditColumn::TicketId).eq(t.get()));
    }
    if let Some(a) = q.actor_id {
        select.and_where(Expr::col(AuditColumn::ActorId).eq(a.get()));
    }
    if !q.actions.is_empty() {
        select.and_where(Expr::col(AuditColumn::Action).is_in(q.actions.iter().cloned()));
    }
    if let Some(from) = q.from {
        select.and_where(Expr::col(AuditColumn::At).gte(timestamp(from)));
    }
    if let Some(to) = q.to {
        select.and_where(Expr::col(AuditColumn::At).lt(timestamp(to)));
    }
    if let Some(before) = q.before_id {
        select.and_where(Expr::col(AuditColumn::Id).lt(before));
    }
    select
        .order_by(AuditColumn::Id, Order::Desc)
        .limit(u64::from(q.limit));
    select
}

/// An `audit_entries` row as a store reads it, column by column ([`AuditColumn::ALL`]), on its
/// way to an [`AuditRecord`]: the one decoding both SQL stores share.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// `id`
    pub id: i64,
    /// `ticket_id`
    pub ticket_id: Option<i64>,
    /// `actor_id`
    pub actor_id: Option<i64>,
    /// `actor_name`
    pub actor_name: String,
    /// `action`
    pub action: String,
    /// `change`, parsed as JSON.
    pub detail: serde_json::Value,
    /// `origin`
    pub origin: Option<String>,
    /// `at`
    pub at: Timestamp,
}

impl AuditRow {
    /// The record; a value no version of this crate wrote is [`Error::Backend`].
    pub fn record(self) -> Result<AuditRecord> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            Error::backend(format!("stored audit record {}: bad {what}: {e}", self.id))
        };
        Ok(AuditRecord {
            id: self.id,
            ticket_id: self.ticket_id.map(crate::TicketId),
            actor_id: self.actor_id.map(crate::UserId),
            action: Action::from_parts(&self.action, self.detail.clone())
                .map_err(|e| bad("action", &e))?,
            origin: match &self.origin {
                Some(o) => Some(o.parse().map_err(|e| bad("origin", &e))?),
                None => None,
            },
            actor_name: self.actor_name,
            at: self.at,
        })
    }
}
