-- Accounts, for a server that keeps its own users (support_core::UserStore). Emails arrive
-- lower-cased (support_core::account::Email), so the plain UNIQUE ignores case in effect;
-- external ids are a host application's user ids (a JWT's `sub`). Ids are never reused:
-- AUTOINCREMENT assigns above every id ever held, also above one inserted explicitly.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    email         TEXT UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('employee', 'support', 'admin', 'hr')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    -- The PHC string of an argon2id hash, never a password.
    password_hash TEXT,
    external_id   TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER
) STRICT;

-- API tokens, known by the SHA-256 digest of the token, which only its owner holds. A revoked
-- token's row is deleted; AUTOINCREMENT keeps its id from naming a later token.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    digest       BLOB NOT NULL UNIQUE CHECK (length(digest) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;

-- A user's tokens, by id.
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
