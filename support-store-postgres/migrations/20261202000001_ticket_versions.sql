-- support_core::Ticket::version: grows by one with every change of a ticket's own fields (not
-- with its messages), so that a change made from a stale view can be refused. Rows from before
-- start at 1, as a new ticket does. The view gains the column at its end (CREATE OR REPLACE
-- VIEW may only add columns there).
ALTER TABLE tickets ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE OR REPLACE VIEW ticket_rows AS
    SELECT t.id, t.ticket_number, a.employee_id, t.subject, t.description, t.category,
           t.priority, t.status, t.assigned_to, t.resolved_at, t.created_at, a.updated_at,
           t.version
    FROM tickets t JOIN ticket_activity a ON a.ticket_id = t.id;
