-- Reactions on messages (support_core::reaction): one row per (message, user, emoji). The id
-- keeps the order in which each emoji was first put on a message; `created_at` is
-- microseconds since the Unix epoch like every other time.
CREATE TABLE reactions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    message_id INTEGER NOT NULL REFERENCES messages (id),
    user_id    INTEGER NOT NULL,
    emoji      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (message_id, user_id, emoji)
) STRICT;
