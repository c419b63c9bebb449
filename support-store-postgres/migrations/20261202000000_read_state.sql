-- Read state: how far each user has read each ticket (support_core::ReadPosition). Positions
-- only move forward (src/reads.rs).
CREATE TABLE read_positions (
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    user_id    bigint NOT NULL,
    message_id bigint NOT NULL,
    read_at    timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);

-- A ticket's public messages by author side, for summaries: the last public staff reply and
-- the employee's first message after it are each one index probe.
CREATE INDEX messages_public_by_side ON messages (ticket_id, author_type, id)
    WHERE NOT is_internal;
