-- Reactions on messages (support_core::reaction): one row per (message, user, emoji). The id
-- keeps the order in which each emoji was first put on a message.
CREATE TABLE reactions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    message_id bigint NOT NULL REFERENCES messages (id),
    user_id    bigint NOT NULL,
    emoji      text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (message_id, user_id, emoji)
);
