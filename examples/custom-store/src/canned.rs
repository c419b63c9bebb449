//! Canned responses and ticket templates for [`KvStore`](crate::KvStore): each kept as JSON
//! by id. A shortcut's uniqueness in its scope is checked inside the write transaction, which
//! redb runs one at a time, so two writers cannot both take it.

use redb::{ReadableTable, TableDefinition};
use support_core::canned::{CannedDraft, CannedResponse, TemplateDraft, TicketTemplate};
use support_core::{CannedResponseId, Error, Result, TicketTemplateId, UserId};

use crate::{backend, from_json, next_id, to_json};

/// Canned response id → its JSON.
pub(crate) const CANNED: TableDefinition<'static, i64, &'static str> =
    TableDefinition::new("canned_responses");
/// Template id → its JSON.
pub(crate) const TEMPLATES: TableDefinition<'static, i64, &'static str> =
    TableDefinition::new("ticket_templates");

pub(crate) fn create_tables(tx: &redb::WriteTransaction) -> Result<()> {
    tx.open_table(CANNED).map_err(backend)?;
    tx.open_table(TEMPLATES).map_err(backend)?;
    Ok(())
}

fn all<T: for<'de> serde::Deserialize<'de>>(
    table: &impl ReadableTable<i64, &'static str>,
) -> Result<Vec<T>> {
    table
        .iter()
        .map_err(backend)?
        .map(|row| row.map_err(backend).and_then(|(_, v)| from_json(v.value())))
        .collect()
}

fn scope(r: &CannedResponse) -> i64 {
    if r.shared { 0 } else { r.owner_id.get() }
}

pub(crate) fn canned_for(db: &redb::Database, viewer: UserId) -> Result<Vec<CannedResponse>> {
    let tx = db.begin_read().map_err(backend)?;
    let all: Vec<CannedResponse> = all(&tx.open_table(CANNED).map_err(backend)?)?;
    Ok(all
        .into_iter()
        .filter(|r| r.shared || r.owner_id == viewer)
        .collect())
}

pub(crate) fn save_canned(
    db: &redb::Database,
    id: Option<CannedResponseId>,
    d: &CannedDraft,
) -> Result<Option<CannedResponse>> {
    let tx = db.begin_write().map_err(backend)?;
    let stored = {
        let mut table = tx.open_table(CANNED).map_err(backend)?;
        let existing: Vec<CannedResponse> = all(&table)?;
        let created_at = match id {
            None => d.at,
            Some(id) => match existing.iter().find(|r| r.id == id) {
                None => return Ok(None),
                Some(old) => old.created_at,
            },
        };
        if existing
            .iter()
            .any(|r| Some(r.id) != id && scope(r) == d.scope() && r.shortcut == d.shortcut)
        {
            return Err(Error::Conflict(format!(
                "the shortcut {:?} is taken",
                d.shortcut
            )));
        }
        let id = match id {
            Some(id) => id,
            None => CannedResponseId(next_id(&tx, "canned")?),
        };
        let stored = d.stored(id, created_at);
        table
            .insert(id.get(), to_json(&stored)?.as_str())
            .map_err(backend)?;
        stored
    };
    tx.commit().map_err(backend)?;
    Ok(Some(stored))
}

fn delete(
    db: &redb::Database,
    table: TableDefinition<'static, i64, &'static str>,
    id: i64,
) -> Result<bool> {
    let tx = db.begin_write().map_err(backend)?;
    let gone = tx
        .open_table(table)
        .map_err(backend)?
        .remove(id)
        .map_err(backend)?
        .is_some();
    tx.commit().map_err(backend)?;
    Ok(gone)
}

pub(crate) fn delete_canned(db: &redb::Database, id: CannedResponseId) -> Result<bool> {
    delete(db, CANNED, id.get())
}

pub(crate) fn templates(db: &redb::Database) -> Result<Vec<TicketTemplate>> {
    let tx = db.begin_read().map_err(backend)?;
    all(&tx.open_table(TEMPLATES).map_err(backend)?)
}

pub(crate) fn save_template(
    db: &redb::Database,
    id: Option<TicketTemplateId>,
    d: &TemplateDraft,
) -> Result<Option<TicketTemplate>> {
    let tx = db.begin_write().map_err(backend)?;
    let stored = {
        let mut table = tx.open_table(TEMPLATES).map_err(backend)?;
        let id = match id {
            Some(id) if table.get(id.get()).map_err(backend)?.is_none() => return Ok(None),
            Some(id) => id,
            None => TicketTemplateId(next_id(&tx, "template")?),
        };
        let stored = d.stored(id);
        table
            .insert(id.get(), to_json(&stored)?.as_str())
            .map_err(backend)?;
        stored
    };
    tx.commit().map_err(backend)?;
    Ok(Some(stored))
}

pub(crate) fn delete_template(db: &redb::Database, id: TicketTemplateId) -> Result<bool> {
    delete(db, TEMPLATES, id.get())
}
