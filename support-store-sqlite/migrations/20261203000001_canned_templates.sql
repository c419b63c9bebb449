-- Canned responses (support_core::CannedResponse) and ticket templates (support_core::TicketTemplate).
-- `scope` is 0 for a shared response and the owner's id for a personal one: a shortcut is unique
-- within its scope, and a user's list is the scopes 0 and theirs. Times are microseconds since
-- the Unix epoch like every other time.
CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    shortcut   TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    shared     INTEGER NOT NULL CHECK (shared IN (0, 1)),
    owner_id   INTEGER NOT NULL,
    scope      INTEGER NOT NULL CHECK (scope = CASE WHEN shared = 1 THEN 0 ELSE owner_id END),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (scope, shortcut);

CREATE TABLE ticket_templates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    priority    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    description TEXT NOT NULL
) STRICT;
