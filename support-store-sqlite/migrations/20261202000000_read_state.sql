-- Read state: how far each user has read each ticket (support_core::ReadPosition). Positions
-- only move forward; `read_at` is microseconds since the Unix epoch like every other time.
CREATE TABLE read_positions (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    user_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    read_at    INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
) STRICT, WITHOUT ROWID;

-- A ticket's public messages by author side, for summaries (src/reads.rs): the last public
-- staff reply and the employee's first message after it are each one index probe.
CREATE INDEX messages_public_by_side ON messages (ticket_id, author_type, id)
    WHERE is_internal = 0;
