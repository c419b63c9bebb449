//! [`UserStore`] for [`SqliteStore`]: the `users` and `api_tokens` tables. Writes go through
//! the store's single writer connection like its other writes, each one statement committed
//! before it returns, except [`sync_external_user`](UserStore::sync_external_user), which
//! reads and writes in one `BEGIN IMMEDIATE` transaction; lookups use the read pool.
//!
//! Uniqueness is the schema's: a clash on an id, an email, an external id or a digest is a
//! UNIQUE or PRIMARY KEY violation, which `from_sqlx` makes a `Conflict`, and a token of an
//! unknown user a foreign-key violation, `NotFound`.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use support_core::account::*;
use support_core::time::{Timestamp, to_micros};
use support_core::{ApiTokenId, Choice, Error, Result, UserId};

use crate::error::from_sqlx;
use crate::row::{self, API_TOKEN_COLUMNS, TOKEN_AND_USER_COLUMNS, USER_COLUMNS};
use crate::store::SqliteStore;

async fn user_where(
    conn: &mut SqliteConnection,
    condition: &str,
    value: &str,
) -> Result<Option<StoredUser>> {
    let found = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {condition} = ?"
    ))
    .bind(value)
    .fetch_optional(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    found.as_ref().map(row::user).transpose()
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, new: &NewUser) -> Result<StoredUser> {
        // A NULL id lets SQLite assign the next one.
        let created = sqlx::query(&format!(
            "INSERT INTO users (id, name, email, role, password_hash, external_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
        ))
        .bind(new.id.map(UserId::get))
        .bind(&new.name)
        .bind(new.email.as_ref().map(Email::as_str))
        .bind(new.role.as_str())
        .bind(new.password.as_ref().map(PasswordHash::as_str))
        .bind(new.external_id.as_deref())
        .bind(to_micros(new.created_at))
        .fetch_one(self.writer())
        .await
        .map_err(from_sqlx)?;
        row::user(&created)
    }

    async fn user(&self, id: UserId) -> Result<Option<StoredUser>> {
        let found = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.get())
            .fetch_optional(self.reader())
            .await
            .map_err(from_sqlx)?;
        found.as_ref().map(row::user).transpose()
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        let mut conn = self.reader().acquire().await.map_err(from_sqlx)?;
        user_where(&mut conn, "email", email.as_str()).await
    }

    async fn users(&self) -> Result<Vec<StoredUser>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        rows.iter().map(row::user).collect()
    }

    async fn update_user(&self, id: UserId, change: &UserUpdate) -> Result<Option<StoredUser>> {
        // One statement: each column keeps its value unless the change names it. The
        // Option<Option<_>> fields bind whether to set, then what to set.
        let updated = sqlx::query(&format!(
            "UPDATE users SET name = COALESCE(?, name), \
             email = CASE WHEN ? THEN ? ELSE email END, \
             role = COALESCE(?, role), disabled = COALESCE(?, disabled), \
             password_hash = CASE WHEN ? THEN ? ELSE password_hash END \
             WHERE id = ? RETURNING {USER_COLUMNS}"
        ))
        .bind(change.name.as_deref())
        .bind(change.email.is_some())
        .bind(
            change
                .email
                .as_ref()
                .and_then(|e| e.as_ref().map(Email::as_str)),
        )
        .bind(change.role.map(|r| r.as_str()))
        .bind(change.disabled)
        .bind(change.password.is_some())
        .bind(
            change
                .password
                .as_ref()
                .and_then(|p| p.as_ref().map(PasswordHash::as_str)),
        )
        .bind(id.get())
        .fetch_optional(self.writer())
        .await
        .map_err(from_sqlx)?;
        updated.as_ref().map(row::user).transpose()
    }

    async fn sync_external_user(&self, user: &ExternalUser, now: Timestamp) -> Result<StoredUser> {
        // BEGIN IMMEDIATE holds the write lock from the first read: no other writer, in this
        // process or another, changes the users between the lookups and the write.
        let mut tx = self.begin_write().await?;
        let by_external = user_where(&mut tx, "external_id", &user.external_id).await?;
        let by_email = match &user.email {
            Some(email) => user_where(&mut tx, "email", email.as_str())
                .await?
                .filter(|holder| by_external.as_ref().is_none_or(|u| u.id != holder.id)),
            None => None,
        };
        let target = match (by_external, by_email) {
            (Some(linked), None) => Some(linked.id),
            // The account made by hand with this email, not yet signed in by the host app.
            (None, Some(by_hand)) if by_hand.external_id.is_none() => Some(by_hand.id),
            (_, Some(_)) => {
                return Err(Error::Conflict("the email belongs to another user".into()));
            }
            (None, None) => None,
        };
        let stored = match target {
            Some(id) => sqlx::query(&format!(
                "UPDATE users SET external_id = ?, name = ?, role = ?, email = COALESCE(?, email) \
                 WHERE id = ? RETURNING {USER_COLUMNS}"
            ))
            .bind(&user.external_id)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(user.email.as_ref().map(Email::as_str))
            .bind(id.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?,
            None => sqlx::query(&format!(
                "INSERT INTO users (name, email, role, external_id, created_at) \
                 VALUES (?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
            ))
            .bind(&user.name)
            .bind(user.email.as_ref().map(Email::as_str))
            .bind(user.role.as_str())
            .bind(&user.external_id)
            .bind(to_micros(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?,
        };
        let stored = row::user(&stored)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(stored)
    }

    async fn touch_user(&self, id: UserId, now: Timestamp) -> Result<bool> {
        // SQLite's MAX() of a NULL is NULL, hence the COALESCE for a user never seen.
        let done = sqlx::query(
            "UPDATE users SET last_seen_at = MAX(COALESCE(last_seen_at, ?1), ?1) WHERE id = ?2",
        )
        .bind(to_micros(now))
        .bind(id.get())
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_api_token(&self, new: &NewApiToken) -> Result<StoredApiToken> {
        // A stored digest violates its UNIQUE index (`Conflict`), an unknown user the foreign
        // key (`NotFound`); either way nothing is written.
        let created = sqlx::query(&format!(
            "INSERT INTO api_tokens (digest, user_id, name, created_at) VALUES (?, ?, ?, ?) \
             RETURNING {API_TOKEN_COLUMNS}"
        ))
        .bind(&new.digest.as_bytes()[..])
        .bind(new.user.get())
        .bind(&new.name)
        .bind(to_micros(new.created_at))
        .fetch_one(self.writer())
        .await
        .map_err(from_sqlx)?;
        row::api_token(&created)
    }

    async fn api_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(StoredApiToken, StoredUser)>> {
        let found = sqlx::query(&format!(
            "SELECT {TOKEN_AND_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.digest = ? AND NOT u.disabled"
        ))
        .bind(&digest.as_bytes()[..])
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        found.as_ref().map(row::token_and_user).transpose()
    }

    async fn api_tokens(&self, user: UserId) -> Result<Vec<StoredApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id"
        ))
        .bind(user.get())
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(row::api_token).collect()
    }

    async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = ?")
            .bind(id.get())
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET last_used_at = MAX(COALESCE(last_used_at, ?1), ?1) \
             WHERE id = ?2",
        )
        .bind(to_micros(now))
        .bind(id.get())
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }
}
