-- One single-row INSERT per transaction, into a table shaped like the store's `messages`
-- (identity key, an index on (ticket_id, id)): the database's own ceiling for acknowledged
-- single-row writes on this machine, for benches/pg-vs-pgbench.sh.
\set ticket random(1, 32)
INSERT INTO pgbench_messages (ticket_id, author_id, content, created_at)
VALUES (:ticket, 1, 'writer message', now());
