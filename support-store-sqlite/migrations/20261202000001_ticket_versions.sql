-- support_core::Ticket::version: grows by one with every change of a ticket's own fields (not
-- with its messages), so that a change made from a stale view can be refused. Rows from before
-- start at 1, as a new ticket does.
ALTER TABLE tickets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
