-- Sign-in sessions, for a server that keeps its own (support_core::SessionStore). A session is
-- known by the SHA-256 digest of its token, never by the token, which only the browser holds.
-- Every node on this database sees the same sessions: one signed out on one node is signed
-- out on all.
CREATE TABLE sessions (
    digest       bytea PRIMARY KEY CHECK (octet_length(digest) = 32),
    user_id      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- "Sign out everywhere": every session of one user.
CREATE INDEX sessions_user ON sessions (user_id);
