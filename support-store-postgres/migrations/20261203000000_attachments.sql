-- Uploaded files (support_core::Upload): metadata only, the bytes are in the blob store under
-- their SHA-256. `message_id` is set once, in the transaction that appends the message naming
-- the upload; `is_internal` then copies the message's.
CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    uploader_id  bigint NOT NULL,
    name         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size >= 0),
    sha256       text NOT NULL,
    created_at   timestamptz NOT NULL,
    message_id   bigint REFERENCES messages (id),
    is_internal  boolean NOT NULL DEFAULT false
);

-- The collector's scan: unattached uploads, oldest first.
CREATE INDEX attachments_unattached ON attachments (created_at, id) WHERE message_id IS NULL;
-- Whether content is still used by any upload.
CREATE INDEX attachments_by_sha256 ON attachments (sha256);
