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

-- One index per filter of the staff list. Each entry ends with the rowid, so a list filtered
-- on one of these columns and ordered newest first reads the index backwards and stops at the
-- page size: no sort, whatever the other filters are.
CREATE INDEX tickets_by_status ON tickets (status);
CREATE INDEX tickets_by_category ON tickets (category);
CREATE INDEX tickets_by_assignee ON tickets (assigned_to);
CREATE INDEX tickets_by_priority ON tickets (priority);

-- How many tickets have each (status, priority), kept exact by the triggers below in the same
-- transaction as every change. Stats read at most 8 rows of it instead of counting tickets,
-- which takes milliseconds once there are tens of thousands of active ones.
CREATE TABLE ticket_counts (
    status   TEXT NOT NULL,
    priority INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (status, priority)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_counts (status, priority, n) VALUES (NEW.status, NEW.priority, 1)
        ON CONFLICT (status, priority) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_count_update AFTER UPDATE OF status, priority ON tickets
    WHEN OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority
BEGIN
    UPDATE ticket_counts SET n = n - 1 WHERE status = OLD.status AND priority = OLD.priority;
    INSERT INTO ticket_counts (status, priority, n) VALUES (NEW.status, NEW.priority, 1)
        ON CONFLICT (status, priority) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets
BEGIN
    UPDATE ticket_counts SET n = n - 1 WHERE status = OLD.status AND priority = OLD.priority;
END;


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

-- A message is activity on its ticket. Kept in a trigger so that appending a message is a
-- single INSERT: one statement, one implicit transaction, one round trip to the connection's
-- thread. The foreign key refuses a message for a missing ticket in the same statement.
CREATE TRIGGER messages_touch_ticket AFTER INSERT ON messages
BEGIN
    UPDATE tickets SET updated_at = NEW.created_at WHERE id = NEW.ticket_id;
END;

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
