-- The whole schema of the PostgreSQL store: the SQLite store's tables and indexes in Postgres
-- types, except that a ticket's latest activity has a table of its own (see ticket_activity). Timestamps are timestamptz, which keeps microseconds, exactly the precision of
-- support_core::time::now(), so values round-trip unchanged. Priorities are Priority::rank()
-- (0 low .. 3 urgent), so the support queue can be read in index order. Enumerations are
-- checked text, the same wire names the domain types use.

-- TicketNumber::for_id in SQL, so the number is derived from the id inside the insert and
-- can never disagree with it (the `schema` test compares the two over the edge cases).
-- lpad alone would truncate ids of seven digits and more.
CREATE FUNCTION support_ticket_number(id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT 'TKT-' || CASE WHEN id BETWEEN 0 AND 999999 THEN lpad(id::text, 6, '0') ELSE id::text END $$;

CREATE TABLE tickets (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_number text GENERATED ALWAYS AS (support_ticket_number(id)) STORED NOT NULL UNIQUE,
    employee_id   bigint NOT NULL,
    subject       text NOT NULL,
    description   text NOT NULL,
    category      text NOT NULL
                  CHECK (category IN ('it', 'hr', 'payroll', 'benefits', 'facilities', 'other')),
    priority      smallint NOT NULL CHECK (priority BETWEEN 0 AND 3),
    status        text NOT NULL
                  CHECK (status IN ('open', 'in_progress', 'pending', 'resolved', 'closed')),
    assigned_to   bigint,
    resolved_at   timestamptz,
    created_at    timestamptz NOT NULL
);

-- The support queue (TicketOrder::Queue over the active statuses): read in index order, no
-- sort. The planner proves a query may use it when the query's status list is a subset of
-- these constants, so src/query.rs writes the statuses into the SQL instead of binding them.
CREATE INDEX tickets_queue ON tickets (priority DESC, created_at, id)
    WHERE status IN ('open', 'in_progress', 'pending');

-- One index per filter of the staff list. SQLite ends every index entry with the rowid, so a
-- one-column index there is already ordered by id within a value; Postgres orders equal keys
-- by their physical position instead, so the id is spelled out. A list filtered on one of
-- these columns and ordered newest first then reads the index backwards and stops at the page
-- size: no sort, whatever the other filters are.
CREATE INDEX tickets_by_status ON tickets (status, id);
CREATE INDEX tickets_by_category ON tickets (category, id);
CREATE INDEX tickets_by_assignee ON tickets (assigned_to, id);
CREATE INDEX tickets_by_priority ON tickets (priority, id);

-- A ticket's latest activity (Ticket::updated_at), in a table of its own. Every message
-- changes it, and Postgres writes a changed row as a new version with a new entry in every
-- index of its table, unless no indexed column changed. updated_at must be indexed for the
-- employee's list, so kept in `tickets` each message would add eight index entries there;
-- here it adds two. This row is also what an append locks to keep a ticket's message ids in
-- commit order (see `messages`).
CREATE TABLE ticket_activity (
    ticket_id   bigint PRIMARY KEY REFERENCES tickets (id),
    -- The ticket's employee, never changed: an employee's list is one range of the index below.
    employee_id bigint NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- An employee's own tickets, latest activity first (TicketOrder::Activity).
CREATE INDEX ticket_activity_by_employee ON ticket_activity (employee_id, updated_at, ticket_id);

-- Tickets as the domain sees them: every read goes through this view. The employee's id is
-- taken from ticket_activity so that a filter on it can use the index above; the planner knows
-- the two ids are equal, so ordering by either is ordering by both.
CREATE VIEW ticket_rows AS
    SELECT t.id, t.ticket_number, a.employee_id, t.subject, t.description, t.category,
           t.priority, t.status, t.assigned_to, t.resolved_at, t.created_at, a.updated_at
    FROM tickets t JOIN ticket_activity a ON a.ticket_id = t.id;

-- How many tickets have each (status, priority), kept exact by the trigger below in the same
-- transaction as every change. Stats read at most 8 rows of it instead of counting tickets,
-- which takes milliseconds once there are tens of thousands of active ones.
CREATE TABLE ticket_counts (
    status   text NOT NULL,
    priority smallint NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (status, priority)
);

CREATE FUNCTION tickets_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ticket_counts AS c (status, priority, n) VALUES (NEW.status, NEW.priority, 1)
            ON CONFLICT (status, priority) DO UPDATE SET n = c.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE ticket_counts SET n = n - 1 WHERE status = OLD.status AND priority = OLD.priority;
    ELSE
        -- Both rows in one statement, always in key order: two transactions moving tickets in
        -- opposite directions (open -> pending and pending -> open) then lock the two count
        -- rows in the same order and queue instead of deadlocking.
        INSERT INTO ticket_counts AS c (status, priority, n)
            SELECT s, p, d
            FROM (VALUES (OLD.status, OLD.priority, -1), (NEW.status, NEW.priority, 1)) AS v (s, p, d)
            ORDER BY s, p
            ON CONFLICT (status, priority) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_count_insert_delete AFTER INSERT OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_count();

CREATE TRIGGER tickets_count_update AFTER UPDATE OF status, priority ON tickets
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority)
    EXECUTE FUNCTION tickets_count();

-- Ids come from one sequence, and sequences hand out values in call order, not commit order.
-- Within a ticket they still grow in commit order because every append first locks the
-- ticket's ticket_activity row (the update that records the activity) and only then takes its
-- id, holding the lock until it commits: see src/append.rs. That is also why there is no
-- trigger touching the ticket after the insert, as in the SQLite store: a trigger runs after
-- the id is taken, too late to order anything.
CREATE TABLE messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    author_id   bigint NOT NULL,
    author_name text NOT NULL,
    author_type text NOT NULL CHECK (author_type IN ('employee', 'support')),
    content     text NOT NULL,
    is_internal boolean NOT NULL,
    -- JSON array of support_core::Attachment.
    attachments jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attachments) = 'array'),
    created_at  timestamptz NOT NULL
);

CREATE INDEX messages_by_ticket ON messages (ticket_id, id);

CREATE TABLE audit_entries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    actor_id   bigint NOT NULL,
    actor_name text NOT NULL,
    -- JSON of support_core::Change: {"field":"status","before":"open","after":"resolved"}.
    change     jsonb NOT NULL,
    at         timestamptz NOT NULL
);

CREATE INDEX audit_entries_by_ticket ON audit_entries (ticket_id, id);

-- What a create with an idempotency key stored, per user. `kind` tells a ticket's key from a
-- message's: a quick chat's ticket key also names its first message, so message_id alone
-- cannot. The primary key is what makes two concurrent requests with one key store once.
CREATE TABLE idempotency_keys (
    user_id    bigint NOT NULL,
    "key"      text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('ticket', 'message')),
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    message_id bigint REFERENCES messages (id),
    PRIMARY KEY (user_id, "key"),
    CHECK (kind = 'ticket' OR message_id IS NOT NULL)
);

-- Events too large for a NOTIFY payload (8000 bytes), kept just long enough for every node's
-- listener to read them: the notification carries only the row's id. See src/broadcaster.rs.
CREATE TABLE broadcast_outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The encoded event. text, not jsonb: jsonb refuses the \u0000 escape that any JSON
    -- encoder may emit, and nothing queries inside it.
    payload    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX broadcast_outbox_by_age ON broadcast_outbox (created_at);
