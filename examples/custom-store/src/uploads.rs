//! Uploads ([`Upload`]) in redb: one table of JSON rows by id, scanned for the collector's
//! lists (fine for an example; a production adapter would index them).

use redb::{Database, ReadableTable, TableDefinition};
use support_core::attachment::not_attachable;
use support_core::store::PendingMessage;
use support_core::{AttachmentId, MessageId, Result, Timestamp, Upload, UploadDraft};

use crate::{backend, from_json, next_id, to_json};

/// Upload id → upload JSON.
pub(crate) const UPLOADS: TableDefinition<'static, i64, &'static str> =
    TableDefinition::new("uploads");

/// Links the uploads `message` carries to it (stored as `id`), in the append's write
/// transaction: a validation error on `attachments.{index}` for one that is missing, of
/// another ticket or already on a message; the caller then drops the transaction uncommitted.
pub(crate) fn link(
    tx: &redb::WriteTransaction,
    message: &PendingMessage,
    id: MessageId,
) -> Result<()> {
    let mut table = tx.open_table(UPLOADS).map_err(backend)?;
    for (i, a) in message.attachments.iter().enumerate() {
        let found = table
            .get(a.id.0)
            .map_err(backend)?
            .map(|v| v.value().to_owned());
        let mut upload: Upload = match found {
            Some(json) => from_json(&json)?,
            None => return Err(not_attachable(i)),
        };
        if upload.message_id.is_some() || upload.ticket_id != message.ticket_id {
            return Err(not_attachable(i));
        }
        upload.message_id = Some(id);
        upload.is_internal = message.is_internal;
        table
            .insert(a.id.0, to_json(&upload)?.as_str())
            .map_err(backend)?;
    }
    Ok(())
}

pub(crate) fn create(db: &Database, d: &UploadDraft) -> Result<Upload> {
    let tx = db.begin_write().map_err(backend)?;
    let upload = d.clone().stored(AttachmentId(next_id(&tx, "upload")?));
    tx.open_table(UPLOADS)
        .map_err(backend)?
        .insert(upload.id.0, to_json(&upload)?.as_str())
        .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(upload)
}

pub(crate) fn get(db: &Database, id: AttachmentId) -> Result<Option<Upload>> {
    let tx = db.begin_read().map_err(backend)?;
    let table = tx.open_table(UPLOADS).map_err(backend)?;
    let found = table.get(id.0).map_err(backend)?;
    found.map(|v| from_json(v.value())).transpose()
}

fn all(db: &Database) -> Result<Vec<Upload>> {
    let tx = db.begin_read().map_err(backend)?;
    let table = tx.open_table(UPLOADS).map_err(backend)?;
    let mut out = Vec::new();
    for row in table.iter().map_err(backend)? {
        let (_, v) = row.map_err(backend)?;
        out.push(from_json::<Upload>(v.value())?);
    }
    Ok(out)
}

pub(crate) fn unattached(db: &Database, before: Timestamp, limit: u32) -> Result<Vec<Upload>> {
    let mut found: Vec<Upload> = all(db)?
        .into_iter()
        .filter(|u| u.message_id.is_none() && u.created_at < before)
        .collect();
    found.sort_by_key(|u| (u.created_at, u.id));
    found.truncate(limit as usize);
    Ok(found)
}

pub(crate) fn delete(db: &Database, id: AttachmentId) -> Result<bool> {
    let tx = db.begin_write().map_err(backend)?;
    let deleted = {
        let mut table = tx.open_table(UPLOADS).map_err(backend)?;
        let found = table
            .get(id.0)
            .map_err(backend)?
            .map(|v| v.value().to_owned());
        match found {
            Some(json) if from_json::<Upload>(&json)?.message_id.is_none() => {
                table.remove(id.0).map_err(backend)?;
                true
            }
            _ => false,
        }
    };
    tx.commit().map_err(backend)?;
    Ok(deleted)
}

pub(crate) fn in_use(db: &Database, sha256: &str) -> Result<bool> {
    Ok(all(db)?.iter().any(|u| u.sha256 == sha256))
}
