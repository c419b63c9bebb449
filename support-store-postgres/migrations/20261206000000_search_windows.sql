-- Block-range indexes on the ids, for the recent windows of a staff search (src/search.rs,
-- `newest`): rows are appended in id order, so a range of ids is a range of the table's
-- blocks, and "the newest 50,000 messages" is a bitmap of a few block ranges, ANDed with the
-- full-text index's matches, instead of a bitmap of 50,000 entries of the primary key. They
-- take a few pages each and are kept up to date as rows are added.
CREATE INDEX messages_id_brin ON messages USING brin (id);
CREATE INDEX tickets_id_brin ON tickets USING brin (id);
