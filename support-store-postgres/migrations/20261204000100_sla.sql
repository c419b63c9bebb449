-- SLA clocks (support_core::sla). first_response_at is set by the trigger below, in the
-- statement that inserts the message; the due times, pause and breach marks are written with
-- the ticket's other fields, in the same transaction as the change that moves them.
--
-- Tickets opened before this migration get no due times (NULL): they have no SLA clock and
-- are never breached (support_core::sla says so). Their first response is filled in from the
-- messages they already have.
ALTER TABLE tickets
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN first_response_due timestamptz,
    ADD COLUMN resolution_due timestamptz,
    ADD COLUMN first_response_breached boolean NOT NULL DEFAULT false,
    ADD COLUMN resolution_breached boolean NOT NULL DEFAULT false,
    ADD COLUMN sla_paused_at timestamptz,
    ADD COLUMN sla_paused_us bigint NOT NULL DEFAULT 0;

UPDATE tickets t SET first_response_at = m.first
FROM (
    SELECT ticket_id, min(created_at) AS first FROM messages
    WHERE author_type = 'support' AND NOT is_internal GROUP BY ticket_id
) m
WHERE m.ticket_id = t.id;

-- The view gains the columns at its end (CREATE OR REPLACE VIEW may only add columns there).
CREATE OR REPLACE VIEW ticket_rows AS
    SELECT t.id, t.ticket_number, a.employee_id, t.subject, t.description, t.category,
           t.priority, t.status, t.assigned_to, t.resolved_at, t.created_at, a.updated_at,
           t.version, t.first_response_at, t.first_response_due, t.resolution_due,
           t.first_response_breached, t.resolution_breached, t.sla_paused_at, t.sla_paused_us
    FROM tickets t JOIN ticket_activity a ON a.ticket_id = t.id;

-- The first public staff message stops the first-response clock. Every append statement
-- locks the ticket's row (or its activity row, which a change locks after the ticket's) before
-- it inserts; the update here touches no column a trigger or index of the queue watches.
CREATE FUNCTION messages_first_response() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET first_response_at = NEW.created_at
        WHERE id = NEW.ticket_id AND first_response_at IS NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_first_response AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.author_type = 'support' AND NOT NEW.is_internal)
    EXECUTE FUNCTION messages_first_response();

-- The sweep reads the clocks not yet marked, due first.
CREATE INDEX tickets_first_response_due ON tickets (first_response_due, id)
    WHERE NOT first_response_breached AND first_response_due IS NOT NULL;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due, id)
    WHERE NOT resolution_breached AND resolution_due IS NOT NULL;

-- Reports read the tickets opened or resolved in a range.
CREATE INDEX tickets_by_created_at ON tickets (created_at);
CREATE INDEX tickets_by_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
