-- Sign-in sessions, for a server that keeps its own (support_core::SessionStore). A session is
-- known by the SHA-256 digest of its token, never by the token, which only the browser holds.
-- Times are microseconds since the Unix epoch, as everywhere in this schema.
CREATE TABLE sessions (
    digest       BLOB PRIMARY KEY CHECK (length(digest) = 32),
    user_id      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- "Sign out everywhere": every session of one user.
CREATE INDEX sessions_user ON sessions (user_id);
