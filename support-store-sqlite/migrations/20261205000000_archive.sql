-- Archiving (support_core::archive): a closed ticket left alone long enough gets archived_at
-- (microseconds, like every time here) and leaves the lists and default search. Nothing else
-- of the row changes; leaving `closed` clears it, written with the ticket's other fields.
ALTER TABLE tickets ADD COLUMN archived_at INTEGER;

-- An archiving batch reads the closed tickets not yet archived, least recently active first.
CREATE INDEX tickets_to_archive ON tickets (updated_at, id)
    WHERE status = 'closed' AND archived_at IS NULL;
