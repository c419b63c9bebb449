-- Appends a batch of messages in one round trip: the group commit of src/append.rs.
--
-- The steps must run in this order, which a single SQL statement does not promise for its
-- parts, hence a function:
-- 1. Lock every ticket of the batch, in id order. Two batches sharing tickets then queue
--    instead of deadlocking, and each ticket's lock is held until commit, so within a ticket
--    ids are drawn in commit order (see the messages table in the first migration).
-- 2. Record the activity: each ticket's updated_at becomes the time of its last message in
--    the batch.
-- 3. Insert the messages of the tickets that exist, in batch order, so ids grow in that
--    order; messages for missing tickets are skipped and the caller reports them NotFound.
-- The arrays are the batch's columns, index i of each being message i.
CREATE FUNCTION support_append_messages(
    ticket_ids   bigint[],
    author_ids   bigint[],
    author_names text[],
    author_types text[],
    contents     text[],
    internals    boolean[],
    attachments  jsonb[],
    created_ats  timestamptz[]
) RETURNS TABLE (id bigint, ticket_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    found bigint[];
BEGIN
    SELECT array_agg(l.id) INTO found FROM (
        SELECT t.id FROM tickets t WHERE t.id = ANY (ticket_ids) ORDER BY t.id FOR NO KEY UPDATE
    ) AS l;
    IF found IS NULL THEN
        RETURN;
    END IF;

    UPDATE tickets t SET updated_at = last.created_at
    FROM (
        SELECT DISTINCT ON (b.ticket_id) b.ticket_id, b.created_at
        FROM unnest(ticket_ids, created_ats) WITH ORDINALITY AS b (ticket_id, created_at, n)
        WHERE b.ticket_id = ANY (found)
        ORDER BY b.ticket_id, b.n DESC
    ) AS last
    WHERE t.id = last.ticket_id;

    RETURN QUERY
    INSERT INTO messages AS m (ticket_id, author_id, author_name, author_type, content,
                               is_internal, attachments, created_at)
    SELECT b.ticket_id, b.author_id, b.author_name, b.author_type, b.content, b.is_internal,
           b.attachments, b.created_at
    FROM unnest(ticket_ids, author_ids, author_names, author_types, contents, internals,
                attachments, created_ats)
         WITH ORDINALITY AS b (ticket_id, author_id, author_name, author_type, content,
                               is_internal, attachments, created_at, n)
    WHERE b.ticket_id = ANY (found)
    ORDER BY b.n
    RETURNING m.id, m.ticket_id;
END
$$;
