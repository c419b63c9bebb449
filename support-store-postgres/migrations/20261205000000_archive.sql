-- Archiving (support_core::archive): a closed ticket left alone long enough gets archived_at
-- and leaves the lists and default search. Nothing else of the row changes; leaving
-- `closed` clears it, written with the ticket's other fields (a reopening reply too).
ALTER TABLE tickets ADD COLUMN archived_at timestamptz;

-- The view gains the column at its end (CREATE OR REPLACE VIEW may only add columns there).
CREATE OR REPLACE VIEW ticket_rows AS
    SELECT t.id, t.ticket_number, a.employee_id, t.subject, t.description, t.category,
           t.priority, t.status, t.assigned_to, t.resolved_at, t.created_at, a.updated_at,
           t.version, t.first_response_at, t.first_response_due, t.resolution_due,
           t.first_response_breached, t.resolution_breached, t.sla_paused_at, t.sla_paused_us,
           t.archived_at
    FROM tickets t JOIN ticket_activity a ON a.ticket_id = t.id;

-- An archiving batch reads the closed tickets not yet archived (their activity times are in
-- ticket_activity): once the archive has caught up, only the recently closed ones.
CREATE INDEX tickets_to_archive ON tickets (id) WHERE status = 'closed' AND archived_at IS NULL;

-- Search leaves archived tickets' messages out (or keeps only them) by this set of ids.
CREATE INDEX tickets_archived ON tickets (id) WHERE archived_at IS NOT NULL;
