-- The whole audit log (support_core::audit): every action, not only a ticket's field changes.
-- `action` names it (support_core::Action::name); `change` holds its fields as JSON (for
-- 'ticket', the support_core::Change it always held, so old rows read as they did); `origin`
-- the client's address. An action on no ticket (a sign-in) has no ticket_id; a failed
-- sign-in has no actor_id.
ALTER TABLE audit_entries
    ALTER COLUMN ticket_id DROP NOT NULL,
    ALTER COLUMN actor_id DROP NOT NULL,
    ADD COLUMN action text NOT NULL DEFAULT 'ticket',
    ADD COLUMN origin text;

ALTER TABLE audit_entries ALTER COLUMN action DROP DEFAULT;

-- A ticket's activity (its field changes) without reading its messages' records.
CREATE INDEX audit_entries_activity ON audit_entries (ticket_id, id) WHERE action = 'ticket';
CREATE INDEX audit_entries_by_actor ON audit_entries (actor_id, id);

-- Where a message was posted from, for its audit record.
ALTER TABLE messages ADD COLUMN origin text;

-- A message's records (support_core::store::PendingMessage::audit_records), written by the
-- statement that inserts it (one per statement, however many rows a batch inserts), so the
-- hot path stays one statement: the messages posted, then each attached file.
CREATE FUNCTION audit_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at)
    SELECT m.ticket_id, m.author_id, m.author_name, 'message.posted',
           jsonb_build_object('message_id', m.id, 'internal', m.is_internal),
           m.origin, m.created_at
    FROM new_messages m ORDER BY m.id;
    INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at)
    SELECT m.ticket_id, m.author_id, m.author_name, 'attachment.added',
           jsonb_build_object('message_id', m.id, 'attachment_id', a.value -> 'id',
                              'filename', a.value ->> 'name'),
           m.origin, m.created_at
    FROM new_messages m, jsonb_array_elements(m.attachments) AS a ORDER BY m.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_audit AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION audit_messages();
