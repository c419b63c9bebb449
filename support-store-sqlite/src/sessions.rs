//! [`SessionStore`] for [`SqliteStore`]: the `sessions` table. Writes go through the store's
//! single writer connection like its other writes, each one statement committed before it
//! returns; lookups use the read pool.

use async_trait::async_trait;
use support_core::time::to_micros;
use support_core::{
    Liveness, NewSession, Result, SessionStore, StoredSession, TokenDigest, UserId,
};

use crate::error::from_sqlx;
use crate::row::{self, SESSION_COLUMNS};
use crate::store::SqliteStore;

/// The condition a live session meets: binds `now`, then the idle cutoff.
const ALIVE: &str = "expires_at > ? AND last_seen_at > ?";

fn digest(d: &TokenDigest) -> &[u8] {
    d.as_bytes()
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: &NewSession) -> Result<()> {
        // A digest already stored violates the primary key: `Conflict`, nothing written.
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_at, last_seen_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(digest(&new.digest))
        .bind(new.user.get())
        .bind(to_micros(new.created_at))
        .bind(to_micros(new.created_at))
        .bind(to_micros(new.expires_at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn session(&self, digest: &TokenDigest, at: &Liveness) -> Result<Option<StoredSession>> {
        let found = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE digest = ? AND {ALIVE}"
        ))
        .bind(self::digest(digest))
        .bind(to_micros(at.now))
        .bind(to_micros(at.idle_before()))
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        found.as_ref().map(row::session).transpose()
    }

    async fn touch_session(&self, digest: &TokenDigest, at: &Liveness) -> Result<bool> {
        let done = sqlx::query(&format!(
            "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE digest = ? AND {ALIVE}"
        ))
        .bind(to_micros(at.now))
        .bind(self::digest(digest))
        .bind(to_micros(at.now))
        .bind(to_micros(at.idle_before()))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_session(&self, digest: &TokenDigest) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE digest = ?")
            .bind(self::digest(digest))
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_user_sessions(&self, user: UserId) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user.get())
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }

    async fn purge_sessions(&self, at: &Liveness) -> Result<u64> {
        let done = sqlx::query(&format!("DELETE FROM sessions WHERE NOT ({ALIVE})"))
            .bind(to_micros(at.now))
            .bind(to_micros(at.idle_before()))
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}
