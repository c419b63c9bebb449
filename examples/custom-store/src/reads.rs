//! Read state for [`KvStore`]: one row per (ticket, user), and summaries computed with the
//! core's reference semantics ([`TicketSummary::compute`]) over each ticket's messages, all in
//! one read transaction.

use redb::{ReadableTable, TableDefinition};
use support_core::reads::{ReadAdvance, ReadPosition, TicketSummary};
use support_core::time::{from_micros, to_micros};
use support_core::{Error, Message, MessageId, Result, TicketId, UserId};

use crate::{MESSAGES, TICKETS, backend, from_json, get_ticket};

/// (ticket id, user id) → (last message read, when, in microseconds since the epoch).
pub(crate) const READS: TableDefinition<'static, (i64, i64), (i64, i64)> =
    TableDefinition::new("read_positions");

fn position(ticket: i64, user: i64, (message, at): (i64, i64)) -> Result<ReadPosition> {
    Ok(ReadPosition {
        ticket_id: TicketId(ticket),
        user_id: UserId(user),
        message_id: MessageId(message),
        read_at: from_micros(at).ok_or_else(|| backend(format!("stored time {at}")))?,
    })
}

pub(crate) fn mark_read(db: &redb::Database, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
    let tx = db.begin_write().map_err(backend)?;
    if get_ticket(&tx.open_table(TICKETS).map_err(backend)?, p.ticket_id)?.is_none() {
        return Err(Error::NotFound);
    }
    let key = (p.ticket_id.get(), p.user_id.get());
    let before = {
        let mut reads = tx.open_table(READS).map_err(backend)?;
        let before = reads.get(key).map_err(backend)?.map(|v| v.value().0);
        if before.is_some_and(|b| b >= p.message_id.get()) {
            return Ok(None);
        }
        reads
            .insert(key, (p.message_id.get(), to_micros(p.read_at)))
            .map_err(backend)?;
        before
    };
    tx.commit().map_err(backend)?;
    Ok(Some(ReadAdvance {
        before: before.map(MessageId),
        position: p.clone(),
    }))
}

pub(crate) fn summaries(
    db: &redb::Database,
    tickets: &[TicketId],
    reader: UserId,
    include_internal: bool,
) -> Result<Vec<TicketSummary>> {
    let tx = db.begin_read().map_err(backend)?;
    let table = tx.open_table(TICKETS).map_err(backend)?;
    let messages = tx.open_table(MESSAGES).map_err(backend)?;
    let reads = tx.open_table(READS).map_err(backend)?;
    let mut out = Vec::new();
    for &id in tickets {
        let Some(ticket) = get_ticket(&table, id)? else {
            continue;
        };
        let all: Vec<Message> = messages
            .range((id.0, i64::MIN)..=(id.0, i64::MAX))
            .map_err(backend)?
            .map(|row| row.map_err(backend).and_then(|(_, v)| from_json(v.value())))
            .collect::<Result<_>>()?;
        let read = reads
            .get((id.0, reader.0))
            .map_err(backend)?
            .map(|v| MessageId(v.value().0));
        out.push(TicketSummary::compute(
            &ticket,
            &all,
            reader,
            read,
            include_internal,
        ));
    }
    Ok(out)
}

pub(crate) fn positions(db: &redb::Database, ticket: TicketId) -> Result<Vec<ReadPosition>> {
    let tx = db.begin_read().map_err(backend)?;
    let reads = tx.open_table(READS).map_err(backend)?;
    let range = reads
        .range((ticket.0, i64::MIN)..=(ticket.0, i64::MAX))
        .map_err(backend)?;
    range
        .map(|row| {
            let (k, v) = row.map_err(backend)?;
            let (t, u) = k.value();
            position(t, u, v.value())
        })
        .collect()
}
