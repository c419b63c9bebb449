-- Search scope in the index itself (support_core::search::SearchScope): each FTS5 table gets a
-- `scope` column of tokens saying who besides staff may find the document, so that an
-- employee's search is one index intersection (the terms AND `scope : e<employee id>`) instead
-- of joining every match to its ticket and message. The tokens:
--
--   e<id>   the ticket's employee may find it: a ticket's own text, and each of its messages
--           that is not an internal note (a note has no token: only staff find it).
--   live    the ticket is not archived (support_core::archive); `arch` when it is. Archiving
--           a ticket, or a reopening that takes it out of the archive, re-indexes it and its
--           messages (the triggers on tickets.archived_at below).
--
-- The tokens are computed in one place, the views `ticket_search` and `message_search`, which
-- are the FTS5 tables' external content: the triggers index and unindex rows by reading them
-- (BEFORE a change, to remove exactly what was indexed; AFTER it, to index the new values), and
-- 'rebuild' reads them too. Queries put the words under a column filter
-- (`{subject description} : (…)`, `content : (…)`), so no word typed matches a scope token.
--
-- This replaces the tables and triggers of 20261204000000_search.sql; the rebuild at the end
-- indexes the rows already there, in this migration's transaction.

DROP TRIGGER tickets_text_insert;
DROP TRIGGER tickets_text_update;
DROP TRIGGER tickets_text_delete;
DROP TRIGGER messages_text_insert;
DROP TRIGGER messages_text_update;
DROP TRIGGER messages_text_delete;
DROP TABLE ticket_text;
DROP TABLE message_text;

CREATE VIEW ticket_search AS
    SELECT id, subject, description,
           'e' || employee_id || CASE WHEN archived_at IS NULL THEN ' live' ELSE ' arch' END AS scope
    FROM tickets;

CREATE VIEW message_search AS
    SELECT m.id, m.content,
           CASE WHEN m.is_internal THEN '' ELSE 'e' || t.employee_id || ' ' END
               || CASE WHEN t.archived_at IS NULL THEN 'live' ELSE 'arch' END AS scope
    FROM messages m JOIN tickets t ON t.id = m.ticket_id;

CREATE VIRTUAL TABLE ticket_text USING fts5(
    subject, description, scope,
    content = 'ticket_search', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE VIRTUAL TABLE message_text USING fts5(
    content, scope,
    content = 'message_search', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER tickets_text_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_text (rowid, subject, description, scope)
        SELECT id, subject, description, scope FROM ticket_search WHERE id = NEW.id;
END;

-- A changed owner or archive state changes the scope of the ticket and of each of its messages
-- (owners do not change today; the index stays right if they ever do). A change of anything
-- else (status, priority, …) re-indexes nothing.
CREATE TRIGGER tickets_text_unindex BEFORE UPDATE OF subject, description, employee_id, archived_at
    ON tickets
    WHEN OLD.subject IS NOT NEW.subject OR OLD.description IS NOT NEW.description
        OR OLD.employee_id IS NOT NEW.employee_id
        OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)
BEGIN
    INSERT INTO ticket_text (ticket_text, rowid, subject, description, scope)
        SELECT 'delete', id, subject, description, scope FROM ticket_search WHERE id = OLD.id;
END;

CREATE TRIGGER tickets_text_reindex AFTER UPDATE OF subject, description, employee_id, archived_at
    ON tickets
    WHEN OLD.subject IS NOT NEW.subject OR OLD.description IS NOT NEW.description
        OR OLD.employee_id IS NOT NEW.employee_id
        OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)
BEGIN
    INSERT INTO ticket_text (rowid, subject, description, scope)
        SELECT id, subject, description, scope FROM ticket_search WHERE id = NEW.id;
END;

CREATE TRIGGER tickets_scope_unindex BEFORE UPDATE OF employee_id, archived_at ON tickets
    WHEN OLD.employee_id IS NOT NEW.employee_id
        OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)
BEGIN
    INSERT INTO message_text (message_text, rowid, content, scope)
        SELECT 'delete', s.id, s.content, s.scope
        FROM messages m CROSS JOIN message_search s ON s.id = m.id WHERE m.ticket_id = OLD.id;
END;

CREATE TRIGGER tickets_scope_reindex AFTER UPDATE OF employee_id, archived_at ON tickets
    WHEN OLD.employee_id IS NOT NEW.employee_id
        OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)
BEGIN
    INSERT INTO message_text (rowid, content, scope)
        SELECT s.id, s.content, s.scope
        FROM messages m CROSS JOIN message_search s ON s.id = m.id WHERE m.ticket_id = NEW.id;
END;

CREATE TRIGGER tickets_text_delete BEFORE DELETE ON tickets
BEGIN
    INSERT INTO ticket_text (ticket_text, rowid, subject, description, scope)
        SELECT 'delete', id, subject, description, scope FROM ticket_search WHERE id = OLD.id;
END;

CREATE TRIGGER messages_text_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO message_text (rowid, content, scope)
        SELECT id, content, scope FROM message_search WHERE id = NEW.id;
END;

CREATE TRIGGER messages_text_unindex BEFORE UPDATE OF content, is_internal, ticket_id ON messages
BEGIN
    INSERT INTO message_text (message_text, rowid, content, scope)
        SELECT 'delete', id, content, scope FROM message_search WHERE id = OLD.id;
END;

CREATE TRIGGER messages_text_reindex AFTER UPDATE OF content, is_internal, ticket_id ON messages
BEGIN
    INSERT INTO message_text (rowid, content, scope)
        SELECT id, content, scope FROM message_search WHERE id = NEW.id;
END;

CREATE TRIGGER messages_text_delete BEFORE DELETE ON messages
BEGIN
    INSERT INTO message_text (message_text, rowid, content, scope)
        SELECT 'delete', id, content, scope FROM message_search WHERE id = OLD.id;
END;

-- The rows written before this migration.
INSERT INTO ticket_text (ticket_text) VALUES ('rebuild');
INSERT INTO message_text (message_text) VALUES ('rebuild');
