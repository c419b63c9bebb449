-- The whole schema of the SQLite store. Timestamps are microseconds since the Unix epoch
-- (support_core::time::to_micros), so they sort and compare as integers; priorities are
-- Priority::rank() (0 low .. 3 urgent), so the support queue can be read in index order.
-- STRICT makes SQLite reject values of the wrong type instead of storing them as-is.

CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL only inside the creating transaction: it is TicketNumber::for_id(id), and the id is
    -- known only after the insert.
    ticket_number TEXT UNIQUE,
    employee_id   INTEGER NOT NULL,
    subject       TEXT NOT NULL,
    description   TEXT NOT NULL,
    category      TEXT NOT NULL
                  CHECK (category IN ('it', 'hr', 'payroll', 'benefits', 'facilities', 'other')),
    priority      INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    status        TEXT NOT NULL
                  CHECK (status IN ('open', 'in_progress', 'pending', 'resolved', 'closed')),
    assigned_to   INTEGER,
    resolved_at   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- The support queue (TicketOrder::Queue over the active statuses): read in index order, no sort.
-- A query uses it only if its WHERE clause contains this exact IN term; see src/query.rs.
CREATE INDEX tickets_queue ON tickets (priority DESC, created_at, id)
    WHERE status IN ('open', 'in_progress', 'pending');

-- An employee's own tickets, latest activity first (TicketOrder::Activity).
CREATE INDEX tickets_by_employee_activity ON tickets (employee_id, updated_at, id);

-- Status lookups and the exact stats counts (a covering index for the GROUP BY).
CREATE INDEX tickets_by_status_priority ON tickets (status, priority);

-- Priority lookups; newest first comes for free since the rowid ends every index entry.
CREATE INDEX tickets_by_priority ON tickets (priority);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    author_id   INTEGER NOT NULL,
    author_name TEXT NOT NULL,
    author_type TEXT NOT NULL CHECK (author_type IN ('employee', 'support')),
    content     TEXT NOT NULL,
    is_internal INTEGER NOT NULL CHECK (is_internal IN (0, 1)),
    -- JSON array of support_core::Attachment.
    attachments TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX messages_by_ticket ON messages (ticket_id, id);

CREATE TABLE audit_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    actor_id   INTEGER NOT NULL,
    actor_name TEXT NOT NULL,
    -- JSON of support_core::Change: {"field":"status","before":"open","after":"resolved"}.
    change     TEXT NOT NULL,
    at         INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_entries_by_ticket ON audit_entries (ticket_id, id);

-- What a create with an idempotency key stored, per user. `kind` tells a ticket's key from a
-- message's: a quick chat's ticket key also names its first message, so message_id alone
-- cannot.
CREATE TABLE idempotency_keys (
    user_id    INTEGER NOT NULL,
    "key"      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('ticket', 'message')),
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    message_id INTEGER REFERENCES messages (id),
    PRIMARY KEY (user_id, "key"),
    CHECK (kind = 'ticket' OR message_id IS NOT NULL)
) STRICT, WITHOUT ROWID;
