-- A key may also make a ticket change safe to retry (kind 'update'). Its record keeps the
-- request it was first used for (`request`: support_core::KeyUse's fingerprint of the change),
-- so that the same key on a different change is a conflict. SQLite cannot change a CHECK
-- constraint in place: the table is built anew and its rows copied.
CREATE TABLE idempotency_keys_new (
    user_id    INTEGER NOT NULL,
    "key"      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('ticket', 'message', 'update')),
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    message_id INTEGER REFERENCES messages (id),
    request    TEXT,
    PRIMARY KEY (user_id, "key"),
    CHECK (kind <> 'message' OR message_id IS NOT NULL),
    CHECK ((kind = 'update') = (request IS NOT NULL))
) STRICT, WITHOUT ROWID;

INSERT INTO idempotency_keys_new (user_id, "key", kind, ticket_id, message_id)
SELECT user_id, "key", kind, ticket_id, message_id FROM idempotency_keys;

DROP TABLE idempotency_keys;

ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
