//! [`UserStore`] for [`KvStore`]: users and API tokens in the same file, each as JSON under its
//! id, with one index table per unique field (email, external id, digest) mapping it to the id.
//!
//! The indexes are how the store keeps the contract's uniqueness: every write of a user goes
//! through [`put_user`], which refuses an email or external id that the index gives to another
//! user before it writes anything. redb runs one write transaction at a time and drops an
//! uncommitted one whole, so a refused write changes nothing, and a sync that reads, decides
//! and writes in one transaction is atomic.

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use support_core::account::*;
use support_core::time::Timestamp;
use support_core::{ApiTokenId, Error, Result, Role, UserId};

use crate::{COUNTERS, KvStore, backend, from_json, next_id, to_json};

/// User id → [`UserRecord`] as JSON.
pub(crate) const USERS: TableDefinition<'static, i64, &'static str> = TableDefinition::new("users");
/// Email → user id: who holds each address.
pub(crate) const USER_EMAILS: TableDefinition<'static, &'static str, i64> =
    TableDefinition::new("user_emails");
/// External id → user id: who each host application user is here.
pub(crate) const USER_EXTERNAL_IDS: TableDefinition<'static, &'static str, i64> =
    TableDefinition::new("user_external_ids");
/// Token id → [`TokenRecord`] as JSON.
pub(crate) const API_TOKENS: TableDefinition<'static, i64, &'static str> =
    TableDefinition::new("api_tokens");
/// Token digest (32 bytes) → token id.
pub(crate) const TOKEN_DIGESTS: TableDefinition<'static, &'static [u8], i64> =
    TableDefinition::new("api_token_digests");

/// Creates the account tables, so that readers never meet a missing one.
pub(crate) fn create_tables(tx: &WriteTransaction) -> Result<()> {
    tx.open_table(USERS).map_err(backend)?;
    tx.open_table(USER_EMAILS).map_err(backend)?;
    tx.open_table(USER_EXTERNAL_IDS).map_err(backend)?;
    tx.open_table(API_TOKENS).map_err(backend)?;
    tx.open_table(TOKEN_DIGESTS).map_err(backend)?;
    Ok(())
}

/// A user as stored: [`StoredUser`] without its id (the key), in a form serde can write.
#[derive(Serialize, Deserialize)]
struct UserRecord {
    name: String,
    email: Option<Email>,
    role: Role,
    disabled: bool,
    password_hash: Option<String>,
    external_id: Option<String>,
    created_at: Timestamp,
    last_seen_at: Option<Timestamp>,
}

impl UserRecord {
    fn of(user: &StoredUser) -> Self {
        UserRecord {
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role,
            disabled: user.disabled,
            password_hash: user.password.as_ref().map(|p| p.as_str().to_owned()),
            external_id: user.external_id.clone(),
            created_at: user.created_at,
            last_seen_at: user.last_seen_at,
        }
    }

    fn user(self, id: UserId) -> StoredUser {
        StoredUser {
            id,
            name: self.name,
            email: self.email,
            role: self.role,
            disabled: self.disabled,
            password: self.password_hash.map(PasswordHash::new),
            external_id: self.external_id,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
        }
    }
}

/// An API token as stored: [`StoredApiToken`] without its id, with the digest it is found by.
#[derive(Serialize, Deserialize)]
struct TokenRecord {
    digest: Vec<u8>,
    user: UserId,
    name: String,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
}

impl TokenRecord {
    fn token(&self, id: ApiTokenId) -> StoredApiToken {
        StoredApiToken {
            id,
            user: self.user,
            name: self.name.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

fn get_user(
    table: &impl ReadableTable<i64, &'static str>,
    id: UserId,
) -> Result<Option<StoredUser>> {
    let Some(json) = table.get(id.get()).map_err(backend)? else {
        return Ok(None);
    };
    let record: UserRecord = from_json(json.value())?;
    Ok(Some(record.user(id)))
}

/// The user an index gives `key` to, if any.
fn holder(
    index: &impl ReadableTable<&'static str, i64>,
    key: Option<&str>,
) -> Result<Option<UserId>> {
    let Some(key) = key else { return Ok(None) };
    Ok(index
        .get(key)
        .map_err(backend)?
        .map(|id| UserId(id.value())))
}

/// Moves `id`'s entry in a unique index from `old` to `new`; a `new` another user holds is
/// `Conflict`, before anything is written.
fn claim(
    tx: &WriteTransaction,
    index: TableDefinition<'static, &'static str, i64>,
    what: &str,
    (old, new): (Option<&str>, Option<&str>),
    id: UserId,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let mut table = tx.open_table(index).map_err(backend)?;
    if holder(&table, new)?.is_some_and(|other| other != id) {
        return Err(Error::Conflict(format!("a user with this {what} exists")));
    }
    if let Some(old) = old {
        table.remove(old).map_err(backend)?;
    }
    if let Some(new) = new {
        table.insert(new, id.get()).map_err(backend)?;
    }
    Ok(())
}

/// Writes `after`, which was `before` (`None` for a new user), keeping the indexes.
fn put_user(tx: &WriteTransaction, before: Option<&StoredUser>, after: &StoredUser) -> Result<()> {
    fn email(user: &StoredUser) -> Option<&str> {
        user.email.as_ref().map(Email::as_str)
    }
    fn external(user: &StoredUser) -> Option<&str> {
        user.external_id.as_deref()
    }
    let emails = (before.and_then(email), email(after));
    claim(tx, USER_EMAILS, "email", emails, after.id)?;
    let externals = (before.and_then(external), external(after));
    claim(tx, USER_EXTERNAL_IDS, "external id", externals, after.id)?;
    let json = to_json(&UserRecord::of(after))?;
    tx.open_table(USERS)
        .map_err(backend)?
        .insert(after.id.get(), json.as_str())
        .map_err(backend)?;
    Ok(())
}

/// The id for a new user: above every id held, and above every id asked for before.
fn next_user_id(tx: &WriteTransaction) -> Result<UserId> {
    next_id(tx, "user").map(UserId)
}

/// Records that `id` is held, so that the ids assigned later are above it.
fn hold_user_id(tx: &WriteTransaction, id: UserId) -> Result<()> {
    let mut counters = tx.open_table(COUNTERS).map_err(backend)?;
    let held = counters
        .get("user")
        .map_err(backend)?
        .map_or(0, |v| v.value());
    counters
        .insert("user", held.max(id.get()))
        .map_err(backend)?;
    Ok(())
}

/// The user a sync of `host` updates: `Ok(None)` creates one.
fn sync_target(tx: &WriteTransaction, host: &ExternalUser) -> Result<Option<StoredUser>> {
    let users = tx.open_table(USERS).map_err(backend)?;
    let by_external = holder(
        &tx.open_table(USER_EXTERNAL_IDS).map_err(backend)?,
        Some(&host.external_id),
    )?;
    let by_email = holder(
        &tx.open_table(USER_EMAILS).map_err(backend)?,
        host.email.as_ref().map(Email::as_str),
    )?
    .filter(|&id| Some(id) != by_external);
    let target = match (by_external, by_email) {
        (Some(id), None) => Some(id),
        (None, Some(id)) => {
            let by_hand = get_user(&users, id)?.ok_or_else(|| backend("dangling email index"))?;
            if by_hand.external_id.is_some() {
                return Err(Error::Conflict("the email belongs to another user".into()));
            }
            Some(id)
        }
        (Some(_), Some(_)) => {
            return Err(Error::Conflict("the email belongs to another user".into()));
        }
        (None, None) => None,
    };
    match target {
        Some(id) => Ok(Some(
            get_user(&users, id)?.ok_or_else(|| backend("dangling index entry"))?,
        )),
        None => Ok(None),
    }
}

#[async_trait]
impl UserStore for KvStore {
    async fn create_user(&self, new: &NewUser) -> Result<StoredUser> {
        let new = new.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let id = match new.id {
                Some(id) => id,
                None => next_user_id(&tx)?,
            };
            if get_user(&tx.open_table(USERS).map_err(backend)?, id)?.is_some() {
                return Err(Error::Conflict(format!("user {id} exists")));
            }
            let user = new.stored(id);
            put_user(&tx, None, &user)?;
            hold_user_id(&tx, id)?;
            tx.commit().map_err(backend)?;
            Ok(user)
        })
        .await
    }

    async fn user(&self, id: UserId) -> Result<Option<StoredUser>> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            get_user(&tx.open_table(USERS).map_err(backend)?, id)
        })
        .await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        let email = email.clone();
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let emails = tx.open_table(USER_EMAILS).map_err(backend)?;
            match holder(&emails, Some(email.as_str()))? {
                Some(id) => get_user(&tx.open_table(USERS).map_err(backend)?, id),
                None => Ok(None),
            }
        })
        .await
    }

    async fn users(&self) -> Result<Vec<StoredUser>> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(USERS).map_err(backend)?;
            // Keys are ids, and redb iterates in key order.
            let mut users = Vec::new();
            for row in table.iter().map_err(backend)? {
                let (id, json) = row.map_err(backend)?;
                let record: UserRecord = from_json(json.value())?;
                users.push(record.user(UserId(id.value())));
            }
            Ok(users)
        })
        .await
    }

    async fn update_user(&self, id: UserId, change: &UserUpdate) -> Result<Option<StoredUser>> {
        let change = change.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let Some(before) = get_user(&tx.open_table(USERS).map_err(backend)?, id)? else {
                return Ok(None);
            };
            let mut after = before.clone();
            change.apply(&mut after);
            put_user(&tx, Some(&before), &after)?;
            tx.commit().map_err(backend)?;
            Ok(Some(after))
        })
        .await
    }

    async fn sync_external_user(&self, host: &ExternalUser, now: Timestamp) -> Result<StoredUser> {
        let host = host.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let user = match sync_target(&tx, &host)? {
                Some(before) => {
                    let mut after = before.clone();
                    after.external_id = Some(host.external_id.clone());
                    after.name = host.name;
                    after.role = host.role;
                    if host.email.is_some() {
                        after.email = host.email;
                    }
                    put_user(&tx, Some(&before), &after)?;
                    after
                }
                None => {
                    let mut new =
                        NewUser::new(host.name, host.role, now).external_id(host.external_id);
                    new.email = host.email;
                    let user = new.stored(next_user_id(&tx)?);
                    put_user(&tx, None, &user)?;
                    user
                }
            };
            tx.commit().map_err(backend)?;
            Ok(user)
        })
        .await
    }

    async fn touch_user(&self, id: UserId, now: Timestamp) -> Result<bool> {
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let Some(before) = get_user(&tx.open_table(USERS).map_err(backend)?, id)? else {
                return Ok(false);
            };
            let mut after = before.clone();
            after.last_seen_at = Some(before.last_seen_at.map_or(now, |t| t.max(now)));
            put_user(&tx, Some(&before), &after)?;
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn create_api_token(&self, new: &NewApiToken) -> Result<StoredApiToken> {
        let new = new.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            if get_user(&tx.open_table(USERS).map_err(backend)?, new.user)?.is_none() {
                return Err(Error::NotFound);
            }
            let digest = new.digest.as_bytes().as_slice();
            let mut digests = tx.open_table(TOKEN_DIGESTS).map_err(backend)?;
            if digests.get(digest).map_err(backend)?.is_some() {
                return Err(Error::Conflict("a token with this digest exists".into()));
            }
            let id = ApiTokenId(next_id(&tx, "token")?);
            digests.insert(digest, id.get()).map_err(backend)?;
            let record = TokenRecord {
                digest: digest.to_vec(),
                user: new.user,
                name: new.name.clone(),
                created_at: new.created_at,
                last_used_at: None,
            };
            tx.open_table(API_TOKENS)
                .map_err(backend)?
                .insert(id.get(), to_json(&record)?.as_str())
                .map_err(backend)?;
            drop(digests);
            tx.commit().map_err(backend)?;
            Ok(record.token(id))
        })
        .await
    }

    async fn api_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(StoredApiToken, StoredUser)>> {
        let digest = *digest;
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let digests = tx.open_table(TOKEN_DIGESTS).map_err(backend)?;
            let Some(id) = digests.get(digest.as_bytes().as_slice()).map_err(backend)? else {
                return Ok(None);
            };
            let id = ApiTokenId(id.value());
            let tokens = tx.open_table(API_TOKENS).map_err(backend)?;
            let json = tokens
                .get(id.get())
                .map_err(backend)?
                .ok_or_else(|| backend("dangling digest index"))?;
            let record: TokenRecord = from_json(json.value())?;
            // A disabled user's token proves nobody.
            let user = get_user(&tx.open_table(USERS).map_err(backend)?, record.user)?
                .filter(|u| !u.disabled);
            Ok(user.map(|user| (record.token(id), user)))
        })
        .await
    }

    async fn api_tokens(&self, user: UserId) -> Result<Vec<StoredApiToken>> {
        // A scan of every token, in id order: right for any number, fast only for small ones,
        // like the ticket lists.
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(API_TOKENS).map_err(backend)?;
            let mut tokens = Vec::new();
            for row in table.iter().map_err(backend)? {
                let (id, json) = row.map_err(backend)?;
                let record: TokenRecord = from_json(json.value())?;
                if record.user == user {
                    tokens.push(record.token(ApiTokenId(id.value())));
                }
            }
            Ok(tokens)
        })
        .await
    }

    async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool> {
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let removed = tx
                .open_table(API_TOKENS)
                .map_err(backend)?
                .remove(id.get())
                .map_err(backend)?
                .map(|json| from_json::<TokenRecord>(json.value()))
                .transpose()?;
            let Some(record) = removed else {
                return Ok(false);
            };
            tx.open_table(TOKEN_DIGESTS)
                .map_err(backend)?
                .remove(record.digest.as_slice())
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<bool> {
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            {
                let mut tokens = tx.open_table(API_TOKENS).map_err(backend)?;
                let found = tokens
                    .get(id.get())
                    .map_err(backend)?
                    .map(|json| from_json::<TokenRecord>(json.value()))
                    .transpose()?;
                let Some(mut record) = found else {
                    return Ok(false);
                };
                record.last_used_at = Some(record.last_used_at.map_or(now, |t| t.max(now)));
                tokens
                    .insert(id.get(), to_json(&record)?.as_str())
                    .map_err(backend)?;
            }
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }
}
