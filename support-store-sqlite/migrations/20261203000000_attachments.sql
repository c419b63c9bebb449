-- Uploaded files (support_core::Upload): metadata only, the bytes are in the blob store under
-- their SHA-256. `message_id` is set once, in the transaction that appends the message naming
-- the upload; `is_internal` then copies the message's. Times are microseconds since the epoch.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    uploader_id  INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    message_id   INTEGER REFERENCES messages (id),
    is_internal  INTEGER NOT NULL DEFAULT 0 CHECK (is_internal IN (0, 1))
) STRICT;

-- The collector's scan: unattached uploads, oldest first.
CREATE INDEX attachments_unattached ON attachments (created_at, id) WHERE message_id IS NULL;
-- Whether content is still used by any upload.
CREATE INDEX attachments_by_sha256 ON attachments (sha256);
