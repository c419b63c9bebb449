//! Uploads ([`Upload`]): their rows, and linking them to a message inside its append.

use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use support_core::attachment::not_attachable;
use support_core::store::PendingMessage;
use support_core::time::to_micros;
use support_core::{
    AttachmentId, MessageId, Result, TicketId, Timestamp, Upload, UploadDraft, UserId,
};

use crate::error::{bad_data, from_sqlx};
use crate::row::{get, timestamp};
use crate::store::SqliteStore;

const COLUMNS: &str = "id, ticket_id, uploader_id, name, content_type, size, sha256, created_at, message_id, is_internal";

fn upload(row: &SqliteRow) -> Result<Upload> {
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
/// on a message, and the caller's transaction is then rolled back.
pub(crate) async fn link(
    conn: &mut SqliteConnection,
    message: &PendingMessage,
    id: MessageId,
) -> Result<()> {
    for (i, a) in message.attachments.iter().enumerate() {
        let linked = sqlx::query(
            "UPDATE attachments SET message_id = ?, is_internal = ? \
             WHERE id = ? AND ticket_id = ? AND message_id IS NULL",
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

impl SqliteStore {
    pub(crate) async fn insert_upload(&self, d: &UploadDraft) -> Result<Upload> {
        let size = i64::try_from(d.size).map_err(|_| bad_data("size", d.size))?;
        let mut tx = self.begin_write().await?;
        // The foreign key refuses a missing ticket: `NotFound`.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (ticket_id, uploader_id, name, content_type, size, sha256, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(d.ticket_id.get())
        .bind(d.uploader_id.get())
        .bind(&d.name)
        .bind(&d.content_type)
        .bind(size)
        .bind(&d.sha256)
        .bind(to_micros(d.at))
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(d.clone().stored(AttachmentId(id)))
    }

    pub(crate) async fn select_upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM attachments WHERE id = ?"))
            .bind(id.get())
            .fetch_optional(self.reader())
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
            "SELECT {COLUMNS} FROM attachments WHERE message_id IS NULL AND created_at < ? \
             ORDER BY created_at, id LIMIT ?"
        ))
        .bind(to_micros(before))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(upload).collect()
    }

    pub(crate) async fn remove_upload(&self, id: AttachmentId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM attachments WHERE id = ? AND message_id IS NULL")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn sha256_in_use(&self, sha256: &str) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1")
                .bind(sha256)
                .fetch_optional(self.reader())
                .await
                .map_err(from_sqlx)?;
        Ok(found.is_some())
    }
}
