//! Uploads ([`Upload`]): their rows, and appends that link them to their message in the
//! message's transaction.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Transaction};
use support_core::attachment::not_attachable;
use support_core::store::{Appended, Created, MessageDraft, PendingMessage};
use support_core::{
    AttachmentId, MessageId, Result, TicketId, Timestamp, Upload, UploadDraft, UserId,
};

use crate::append;
use crate::error::{bad_data, from_sqlx};
use crate::row::{get, timestamp};
use crate::store::PgStore;

const COLUMNS: &str = "id, ticket_id, uploader_id, name, content_type, size, sha256, \
     created_at, message_id, is_internal";

fn upload(row: &PgRow) -> Result<Upload> {
    let size: i64 = get(row, "size")?;
    Ok(Upload {
        id: AttachmentId(get(row, "id")?),
        ticket_id: TicketId(get(row, "ticket_id")?),
        uploader_id: UserId(get(row, "uploader_id")?),
        name: get(row, "name")?,
        content_type: get(row, "content_type")?,
        size: u64::try_from(size).map_err(|_| bad_data("size", size))?,
        sha256: get(row, "sha256")?,
        created_at: timestamp(row, "created_at")?,
        message_id: get::<Option<i64>>(row, "message_id")?.map(MessageId),
        is_internal: get(row, "is_internal")?,
    })
}

/// Links the uploads `message` carries to it (stored as `id`), inside the append's
/// transaction: a validation error on `attachments.{index}` for one that is missing or already
/// on a message (the row lock makes a concurrent link wait, then find it taken).
async fn link(conn: &mut PgConnection, message: &PendingMessage, id: MessageId) -> Result<()> {
    for (i, a) in message.attachments.iter().enumerate() {
        let linked = sqlx::query(
            "UPDATE attachments SET message_id = $1, is_internal = $2 \
             WHERE id = $3 AND ticket_id = $4 AND message_id IS NULL",
        )
        .bind(id.get())
        .bind(message.is_internal)
        .bind(a.id.get())
        .bind(message.ticket_id.get())
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
        if linked.rows_affected() != 1 {
            return Err(not_attachable(i));
        }
    }
    Ok(())
}

impl PgStore {
    /// An append whose message carries attachments: the message (keyed or not) and the links
    /// in one transaction. `Ok(None)` when a keyed one wrote nothing (the key was used before,
    /// or the ticket is missing): the caller tells which.
    pub(crate) async fn append_with_uploads(
        &self,
        d: &MessageDraft,
    ) -> Result<Option<Created<Appended>>> {
        let mut tx: Transaction<'_, Postgres> = self.pool().begin().await.map_err(from_sqlx)?;
        let pending = d.pending();
        let appended = match &d.idempotency_key {
            Some(key) => match append::insert_keyed(&mut *tx, pending.clone(), key).await? {
                Some(a) => a,
                None => return Ok(None),
            },
            None => append::insert_one(&mut *tx, pending.clone()).await?,
        };
        link(&mut tx, &pending, appended.message.id).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(Created::New(appended)))
    }

    pub(crate) async fn insert_upload(&self, d: &UploadDraft) -> Result<Upload> {
        let size = i64::try_from(d.size).map_err(|_| bad_data("size", d.size))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (ticket_id, uploader_id, name, content_type, size, sha256, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(d.ticket_id.get())
        .bind(d.uploader_id.get())
        .bind(&d.name)
        .bind(&d.content_type)
        .bind(size)
        .bind(&d.sha256)
        .bind(d.at)
        .fetch_one(self.pool())
        .await
        .map_err(from_sqlx)?;
        Ok(d.clone().stored(AttachmentId(id)))
    }

    pub(crate) async fn select_upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"))
            .bind(id.get())
            .fetch_optional(self.pool())
            .await
            .map_err(from_sqlx)?;
        row.as_ref().map(upload).transpose()
    }

    pub(crate) async fn select_unattached(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<Upload>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE message_id IS NULL AND created_at < $1 \
             ORDER BY created_at, id LIMIT $2"
        ))
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(upload).collect()
    }

    pub(crate) async fn remove_upload(&self, id: AttachmentId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM attachments WHERE id = $1 AND message_id IS NULL")
            .bind(id.get())
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn sha256_in_use(&self, sha256: &str) -> Result<bool> {
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM attachments WHERE sha256 = $1 LIMIT 1")
                .bind(sha256)
                .fetch_optional(self.pool())
                .await
                .map_err(from_sqlx)?;
        Ok(found.is_some())
    }
}
