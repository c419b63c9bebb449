-- Full-text search (support_core::search): a tsvector beside the text of every ticket and
-- message, a generated column (so it is written in the same statement, hence the same
-- transaction, as the row) with a GIN index. Adding the columns computes them for every row
-- already there.
--
-- Words are runs of letters and digits, like support_core::search::words: everything else is
-- turned into a space before the 'simple' configuration folds the words to lower case (no
-- stemming, no stop words), so that PostgreSQL's parser does not read an e-mail address, a
-- host name or a path as one word that a search for a part of it would miss. Weights: the
-- subject A, the description and a message's content B (ranked with the subject three times
-- the others, see src/search.rs).

CREATE FUNCTION support_search_words(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_replace(t, '[^[:alnum:]]+', ' ', 'g') $$;

ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, support_search_words(subject)), 'A')
    || setweight(to_tsvector('simple'::regconfig, support_search_words(description)), 'B')
) STORED;

CREATE INDEX tickets_search ON tickets USING gin (search);

ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, support_search_words(content)), 'B')
) STORED;

CREATE INDEX messages_search ON messages USING gin (search);
