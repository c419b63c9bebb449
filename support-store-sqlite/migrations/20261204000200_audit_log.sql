-- The whole audit log (support_core::audit): every action, not only a ticket's field changes.
-- `action` names it (support_core::Action::name); `change` holds its fields as JSON (for
-- 'ticket', the support_core::Change it always held, so old rows read as they did); `origin`
-- the client's address. An action on no ticket (a sign-in) has no ticket_id; a failed
-- sign-in has no actor_id. SQLite cannot drop NOT NULL in place, so the table is rebuilt.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER REFERENCES tickets (id),
    actor_id   INTEGER,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    change     TEXT NOT NULL,
    origin     TEXT,
    at         INTEGER NOT NULL
) STRICT;

INSERT INTO audit_log (id, ticket_id, actor_id, actor_name, action, change, origin, at)
SELECT id, ticket_id, actor_id, actor_name, 'ticket', change, NULL, at FROM audit_entries;

DROP TABLE audit_entries;
ALTER TABLE audit_log RENAME TO audit_entries;

CREATE INDEX audit_entries_by_ticket ON audit_entries (ticket_id, id);
-- A ticket's activity (its field changes) without reading its messages' records.
CREATE INDEX audit_entries_activity ON audit_entries (ticket_id, id) WHERE action = 'ticket';
CREATE INDEX audit_entries_by_actor ON audit_entries (actor_id, id);

-- Where a message was posted from, for its audit record.
ALTER TABLE messages ADD COLUMN origin TEXT;

-- A message's records (support_core::store::PendingMessage::audit_records), written by the
-- statement that inserts it, so the hot path stays one statement: the message posted, then
-- each attached file.
CREATE TRIGGER messages_audit AFTER INSERT ON messages
BEGIN
    INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at)
    VALUES (NEW.ticket_id, NEW.author_id, NEW.author_name, 'message.posted',
            json_object('message_id', NEW.id,
                        'internal', CASE WHEN NEW.is_internal THEN json('true') ELSE json('false') END),
            NEW.origin, NEW.created_at);
    INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at)
    SELECT NEW.ticket_id, NEW.author_id, NEW.author_name, 'attachment.added',
           json_object('message_id', NEW.id,
                       'attachment_id', json_extract(a.value, '$.id'),
                       'filename', json_extract(a.value, '$.name')),
           NEW.origin, NEW.created_at
    FROM json_each(NEW.attachments) AS a;
END;
