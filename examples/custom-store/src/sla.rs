//! SLA marks and report facts in redb: a scan of the tickets table (fine for an example; a
//! production adapter would index the due times and creation dates).

use redb::{Database, ReadableTable};
use support_core::report::ReportFacts;
use support_core::{Result, SlaBreach, Ticket, Timestamp};

use crate::{TICKETS, backend, from_json, put_ticket};

/// [`SlaBreach::pick`] over every ticket, marked in one write transaction
/// (redb has one writer, so no other call sees them unmarked).
pub(crate) fn mark(db: &Database, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>> {
    let tx = db.begin_write().map_err(backend)?;
    let mut tickets = Vec::new();
    {
        let table = tx.open_table(TICKETS).map_err(backend)?;
        for row in table.iter().map_err(backend)? {
            let (_, v) = row.map_err(backend)?;
            tickets.push(from_json::<Ticket>(v.value())?);
        }
    }
    let due = SlaBreach::pick(&tickets, now, limit);
    if due.is_empty() {
        return Ok(due);
    }
    for t in &mut tickets {
        let mut marked = false;
        for b in due.iter().filter(|b| b.ticket_id == t.id) {
            t.sla.mark(b.clock);
            marked = true;
        }
        if marked {
            put_ticket(&tx, t)?;
        }
    }
    tx.commit().map_err(backend)?;
    Ok(due)
}

/// [`ReportFacts::of`] the tickets [`ReportFacts::in_range`] selects.
pub(crate) fn facts(db: &Database, from: Timestamp, to: Timestamp) -> Result<Vec<ReportFacts>> {
    let tx = db.begin_read().map_err(backend)?;
    let table = tx.open_table(TICKETS).map_err(backend)?;
    let mut found = Vec::new();
    for row in table.iter().map_err(backend)? {
        let (_, v) = row.map_err(backend)?;
        let t: Ticket = from_json(v.value())?;
        if ReportFacts::in_range(&t, from, to) {
            found.push(ReportFacts::of(&t));
        }
    }
    Ok(found)
}
