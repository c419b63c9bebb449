-- SLA clocks (support_core::sla). first_response_at is set by the trigger below in the
-- append's own statement; the due times, pause and breach marks are written with the
-- ticket's other fields, in the same transaction as the change that moves them.
--
-- Tickets opened before this migration get no due times (NULL): they have no SLA clock and
-- are never breached (support_core::sla says so). Their first response is filled in from
-- the messages they already have.
ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;
ALTER TABLE tickets ADD COLUMN first_response_due INTEGER;
ALTER TABLE tickets ADD COLUMN resolution_due INTEGER;
ALTER TABLE tickets ADD COLUMN first_response_breached INTEGER NOT NULL DEFAULT 0
    CHECK (first_response_breached IN (0, 1));
ALTER TABLE tickets ADD COLUMN resolution_breached INTEGER NOT NULL DEFAULT 0
    CHECK (resolution_breached IN (0, 1));
ALTER TABLE tickets ADD COLUMN sla_paused_at INTEGER;
ALTER TABLE tickets ADD COLUMN sla_paused_us INTEGER NOT NULL DEFAULT 0;

UPDATE tickets SET first_response_at = (
    SELECT min(m.created_at) FROM messages m
    WHERE m.ticket_id = tickets.id AND m.author_type = 'support' AND m.is_internal = 0
);

-- The first public staff message stops the first-response clock. A plain append is one
-- INSERT (see messages_touch_ticket), so this runs in its statement's transaction.
CREATE TRIGGER messages_first_response AFTER INSERT ON messages
    WHEN NEW.author_type = 'support' AND NEW.is_internal = 0
BEGIN
    UPDATE tickets SET first_response_at = NEW.created_at
        WHERE id = NEW.ticket_id AND first_response_at IS NULL;
END;

-- The sweep reads the clocks not yet marked, due first.
CREATE INDEX tickets_first_response_due ON tickets (first_response_due)
    WHERE first_response_breached = 0 AND first_response_due IS NOT NULL;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due)
    WHERE resolution_breached = 0 AND resolution_due IS NOT NULL;

-- Reports read the tickets opened or resolved in a range.
CREATE INDEX tickets_by_created_at ON tickets (created_at);
CREATE INDEX tickets_by_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
