//! [`UserStore`] for [`PgStore`]: the `users` and `api_tokens` tables, every node on the
//! database seeing the same accounts. Each call is one statement, or one transaction where it
//! must read before it writes, under [`PgOptions::call_timeout`](crate::PgOptions::call_timeout)
//! like the store's other calls.
//!
//! Uniqueness is the schema's: a clash on an id, an email, an external id or a digest is a
//! unique violation, which `from_sqlx` makes a `Conflict`, and a token of an unknown user a
//! foreign-key violation, `NotFound`. Two things need more than one statement:
//!
//! - An id given to [`create_user`](UserStore::create_user) is inserted and the identity's
//!   sequence moved past it, under a lock that keeps other writers of `users` out meanwhile,
//!   so the ids assigned afterwards are above it.
//! - [`sync_external_user`](UserStore::sync_external_user) runs while other nodes sign the
//!   same host user in: the rows it reads are locked (`FOR UPDATE`), and a user that does not
//!   exist yet is inserted with `ON CONFLICT DO NOTHING`. When a concurrent sign-in inserted
//!   it first, the insert does nothing and the lookup runs again, now finding that user.

use async_trait::async_trait;
use sqlx::PgConnection;
use support_core::account::*;
use support_core::time::Timestamp;
use support_core::{ApiTokenId, Choice, Error, Result, UserId};

use crate::error::from_sqlx;
use crate::row::{self, API_TOKEN_COLUMNS, TOKEN_AND_USER_COLUMNS, USER_COLUMNS};
use crate::store::PgStore;

/// How many times [`sync_external_user`](UserStore::sync_external_user) looks the user up
/// again after a concurrent sign-in inserted a clashing row. Once is enough for two nodes
/// signing the same user in; more means the rows keep changing under it.
const SYNC_ATTEMPTS: usize = 3;

async fn user_for_update(
    conn: &mut PgConnection,
    column: &str,
    value: &str,
) -> Result<Option<StoredUser>> {
    let found = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {column} = $1 FOR UPDATE"
    ))
    .bind(value)
    .fetch_optional(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    found.as_ref().map(row::user).transpose()
}

/// What a sync does once it has looked: update this user, or create one.
enum Target {
    Update(UserId),
    Create,
    /// A concurrent sign-in linked the account found by email to this very external id.
    LookAgain,
}

/// One round of the sync's lookup, in `conn`'s transaction, the rows found locked.
async fn sync_target(conn: &mut PgConnection, user: &ExternalUser) -> Result<Target> {
    let by_external = user_for_update(conn, "external_id", &user.external_id).await?;
    let by_email = match &user.email {
        Some(email) => user_for_update(conn, "email", email.as_str())
            .await?
            .filter(|holder| by_external.as_ref().is_none_or(|u| u.id != holder.id)),
        None => None,
    };
    Ok(match (by_external, by_email) {
        (Some(linked), None) => Target::Update(linked.id),
        (None, Some(holder)) => match holder.external_id.as_deref() {
            // The account made by hand with this email, not yet signed in by the host app.
            None => Target::Update(holder.id),
            Some(theirs) if theirs == user.external_id => Target::LookAgain,
            Some(_) => return Err(Error::Conflict("the email belongs to another user".into())),
        },
        (Some(_), Some(_)) => {
            return Err(Error::Conflict("the email belongs to another user".into()));
        }
        (None, None) => Target::Create,
    })
}

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, new: &NewUser) -> Result<StoredUser> {
        self.bounded("create_user", async {
            let insert = format!(
                "INSERT INTO users (id, name, email, role, password_hash, external_id, created_at) \
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('users', 'id'))), \
                 $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
            );
            let query = sqlx::query(&insert)
                .bind(new.id.map(UserId::get))
                .bind(&new.name)
                .bind(new.email.as_ref().map(Email::as_str))
                .bind(new.role.as_str())
                .bind(new.password.as_ref().map(PasswordHash::as_str))
                .bind(new.external_id.as_deref())
                .bind(new.created_at);
            let Some(id) = new.id else {
                let created = query.fetch_one(self.pool()).await.map_err(from_sqlx)?;
                return row::user(&created);
            };
            // An id given: keep other writers of `users` out (they would take ids from the
            // sequence meanwhile), insert, and move the sequence past the id if it is behind.
            let mut tx = self.pool().begin().await.map_err(from_sqlx)?;
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
            let created = query.fetch_one(&mut *tx).await.map_err(from_sqlx)?;
            sqlx::query(
                "SELECT setval(seq, $1) \
                 FROM (SELECT pg_get_serial_sequence('users', 'id')::regclass AS seq) s \
                 WHERE $1 > COALESCE(pg_sequence_last_value(seq), 0)",
            )
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            let created = row::user(&created)?;
            tx.commit().await.map_err(from_sqlx)?;
            Ok(created)
        })
        .await
    }

    async fn user(&self, id: UserId) -> Result<Option<StoredUser>> {
        self.bounded("user", async {
            let found = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id.get())
                .fetch_optional(self.pool())
                .await
                .map_err(from_sqlx)?;
            found.as_ref().map(row::user).transpose()
        })
        .await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        self.bounded("user_by_email", async {
            let found = sqlx::query(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
            ))
            .bind(email.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(from_sqlx)?;
            found.as_ref().map(row::user).transpose()
        })
        .await
    }

    async fn users(&self) -> Result<Vec<StoredUser>> {
        self.bounded("users", async {
            let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
                .fetch_all(self.pool())
                .await
                .map_err(from_sqlx)?;
            row::all(&rows, row::user)
        })
        .await
    }

    async fn update_user(&self, id: UserId, change: &UserUpdate) -> Result<Option<StoredUser>> {
        self.bounded("update_user", async {
            // One statement: each column keeps its value unless the change names it. The
            // Option<Option<_>> fields bind whether to set, then what to set.
            let updated = sqlx::query(&format!(
                "UPDATE users SET name = COALESCE($1, name), \
                 email = CASE WHEN $2 THEN $3 ELSE email END, \
                 role = COALESCE($4, role), disabled = COALESCE($5, disabled), \
                 password_hash = CASE WHEN $6 THEN $7 ELSE password_hash END \
                 WHERE id = $8 RETURNING {USER_COLUMNS}"
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
            .fetch_optional(self.pool())
            .await
            .map_err(from_sqlx)?;
            updated.as_ref().map(row::user).transpose()
        })
        .await
    }

    async fn sync_external_user(&self, user: &ExternalUser, now: Timestamp) -> Result<StoredUser> {
        self.bounded("sync_external_user", async {
            let mut tx = self.pool().begin().await.map_err(from_sqlx)?;
            for _ in 0..SYNC_ATTEMPTS {
                let stored = match sync_target(&mut tx, user).await? {
                    Target::Update(id) => Some(
                        sqlx::query(&format!(
                            "UPDATE users SET external_id = $1, name = $2, role = $3, \
                             email = COALESCE($4, email) WHERE id = $5 RETURNING {USER_COLUMNS}"
                        ))
                        .bind(&user.external_id)
                        .bind(&user.name)
                        .bind(user.role.as_str())
                        .bind(user.email.as_ref().map(Email::as_str))
                        .bind(id.get())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(from_sqlx)?,
                    ),
                    // Any unique clash (a concurrent sign-in of the same user, or of another
                    // with this email) inserts nothing: the next round sees what clashed.
                    Target::Create => sqlx::query(&format!(
                        "INSERT INTO users (name, email, role, external_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING \
                         RETURNING {USER_COLUMNS}"
                    ))
                    .bind(&user.name)
                    .bind(user.email.as_ref().map(Email::as_str))
                    .bind(user.role.as_str())
                    .bind(&user.external_id)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(from_sqlx)?,
                    Target::LookAgain => None,
                };
                if let Some(stored) = stored {
                    let stored = row::user(&stored)?;
                    tx.commit().await.map_err(from_sqlx)?;
                    return Ok(stored);
                }
            }
            Err(Error::Unavailable(
                "postgres: the host user's rows kept changing during sign-in".into(),
            ))
        })
        .await
    }

    async fn touch_user(&self, id: UserId, now: Timestamp) -> Result<bool> {
        self.bounded("touch_user", async {
            // GREATEST ignores a NULL: a user never seen gets `now`.
            let done = sqlx::query(
                "UPDATE users SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = $2",
            )
            .bind(now)
            .bind(id.get())
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn create_api_token(&self, new: &NewApiToken) -> Result<StoredApiToken> {
        self.bounded("create_api_token", async {
            // A stored digest is a unique violation (`Conflict`), an unknown user a
            // foreign-key violation (`NotFound`); either way nothing is written.
            let created = sqlx::query(&format!(
                "INSERT INTO api_tokens (digest, user_id, name, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING {API_TOKEN_COLUMNS}"
            ))
            .bind(&new.digest.as_bytes()[..])
            .bind(new.user.get())
            .bind(&new.name)
            .bind(new.created_at)
            .fetch_one(self.pool())
            .await
            .map_err(from_sqlx)?;
            row::api_token(&created)
        })
        .await
    }

    async fn api_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(StoredApiToken, StoredUser)>> {
        self.bounded("api_token", async {
            let found = sqlx::query(&format!(
                "SELECT {TOKEN_AND_USER_COLUMNS} FROM api_tokens t \
                 JOIN users u ON u.id = t.user_id WHERE t.digest = $1 AND NOT u.disabled"
            ))
            .bind(&digest.as_bytes()[..])
            .fetch_optional(self.pool())
            .await
            .map_err(from_sqlx)?;
            found.as_ref().map(row::token_and_user).transpose()
        })
        .await
    }

    async fn api_tokens(&self, user: UserId) -> Result<Vec<StoredApiToken>> {
        self.bounded("api_tokens", async {
            let rows = sqlx::query(&format!(
                "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
            ))
            .bind(user.get())
            .fetch_all(self.pool())
            .await
            .map_err(from_sqlx)?;
            row::all(&rows, row::api_token)
        })
        .await
    }

    async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool> {
        self.bounded("revoke_api_token", async {
            let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
                .bind(id.get())
                .execute(self.pool())
                .await
                .map_err(from_sqlx)?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<bool> {
        self.bounded("touch_api_token", async {
            let done = sqlx::query(
                "UPDATE api_tokens SET last_used_at = GREATEST(last_used_at, $1) WHERE id = $2",
            )
            .bind(now)
            .bind(id.get())
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }
}
