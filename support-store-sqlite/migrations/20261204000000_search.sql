-- Full-text search (support_core::search): FTS5 indexes over the tickets' subject and
-- description and over the messages' content, as external-content tables (the text itself
-- stays in `tickets` and `messages`; the index holds only the words). The triggers keep them
-- in the same transaction as every write, so a search right after a write finds it.
--
-- Words are runs of letters and digits (unicode61), folded to lower case, diacritics kept,
-- like support_core::search::words. A ticket's subject and description are one document,
-- ranked with bm25 (the subject weighs 3); each message is one.

CREATE VIRTUAL TABLE ticket_text USING fts5(
    subject, description,
    content = 'tickets', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE VIRTUAL TABLE message_text USING fts5(
    content,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER tickets_text_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_text (rowid, subject, description)
        VALUES (NEW.id, NEW.subject, NEW.description);
END;

CREATE TRIGGER tickets_text_update AFTER UPDATE OF subject, description ON tickets
BEGIN
    INSERT INTO ticket_text (ticket_text, rowid, subject, description)
        VALUES ('delete', OLD.id, OLD.subject, OLD.description);
    INSERT INTO ticket_text (rowid, subject, description)
        VALUES (NEW.id, NEW.subject, NEW.description);
END;

CREATE TRIGGER tickets_text_delete AFTER DELETE ON tickets
BEGIN
    INSERT INTO ticket_text (ticket_text, rowid, subject, description)
        VALUES ('delete', OLD.id, OLD.subject, OLD.description);
END;

CREATE TRIGGER messages_text_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO message_text (rowid, content) VALUES (NEW.id, NEW.content);
END;

CREATE TRIGGER messages_text_update AFTER UPDATE OF content ON messages
BEGIN
    INSERT INTO message_text (message_text, rowid, content) VALUES ('delete', OLD.id, OLD.content);
    INSERT INTO message_text (rowid, content) VALUES (NEW.id, NEW.content);
END;

CREATE TRIGGER messages_text_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO message_text (message_text, rowid, content) VALUES ('delete', OLD.id, OLD.content);
END;

-- The rows written before this migration.
INSERT INTO ticket_text (ticket_text) VALUES ('rebuild');
INSERT INTO message_text (message_text) VALUES ('rebuild');
