//! [`SessionStore`] for [`PgStore`]: the `sessions` table, one statement per call, each under
//! [`PgOptions::call_timeout`](crate::PgOptions::call_timeout) like the store's other calls.

use async_trait::async_trait;
use support_core::{
    Liveness, NewSession, Result, SessionStore, StoredSession, TokenDigest, UserId,
};

use crate::error::from_sqlx;
use crate::row::{self, SESSION_COLUMNS};
use crate::store::PgStore;

/// The condition a live session meets, over `$1` (now) and `$2` (the idle cutoff).
const ALIVE: &str = "expires_at > $1 AND last_seen_at > $2";

fn digest(d: &TokenDigest) -> &[u8] {
    d.as_bytes()
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, new: &NewSession) -> Result<()> {
        self.bounded("create_session", async {
            // A digest already stored violates the primary key: `Conflict`, nothing written.
            sqlx::query(
                "INSERT INTO sessions (digest, user_id, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(digest(&new.digest))
            .bind(new.user.get())
            .bind(new.created_at)
            .bind(new.expires_at)
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, digest: &TokenDigest, at: &Liveness) -> Result<Option<StoredSession>> {
        self.bounded("session", async {
            let found = sqlx::query(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE {ALIVE} AND digest = $3"
            ))
            .bind(at.now)
            .bind(at.idle_before())
            .bind(self::digest(digest))
            .fetch_optional(self.pool())
            .await
            .map_err(from_sqlx)?;
            found.as_ref().map(row::session).transpose()
        })
        .await
    }

    async fn touch_session(&self, digest: &TokenDigest, at: &Liveness) -> Result<bool> {
        self.bounded("touch_session", async {
            let done = sqlx::query(&format!(
                "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1) \
                 WHERE {ALIVE} AND digest = $3"
            ))
            .bind(at.now)
            .bind(at.idle_before())
            .bind(self::digest(digest))
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn end_session(&self, digest: &TokenDigest) -> Result<bool> {
        self.bounded("end_session", async {
            let done = sqlx::query("DELETE FROM sessions WHERE digest = $1")
                .bind(self::digest(digest))
                .execute(self.pool())
                .await
                .map_err(from_sqlx)?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn end_user_sessions(&self, user: UserId) -> Result<u64> {
        self.bounded("end_user_sessions", async {
            let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.get())
                .execute(self.pool())
                .await
                .map_err(from_sqlx)?;
            Ok(done.rows_affected())
        })
        .await
    }

    async fn purge_sessions(&self, at: &Liveness) -> Result<u64> {
        self.bounded("purge_sessions", async {
            let done = sqlx::query(&format!("DELETE FROM sessions WHERE NOT ({ALIVE})"))
                .bind(at.now)
                .bind(at.idle_before())
                .execute(self.pool())
                .await
                .map_err(from_sqlx)?;
            Ok(done.rows_affected())
        })
        .await
    }
}
