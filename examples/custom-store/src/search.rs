//! Search by reading every ticket and message and applying the core's reference semantics
//! ([`support_core::search::reference`]): right for any size, fast only for small ones. A
//! production adapter would keep an inverted index updated in each write transaction.

use std::collections::BTreeMap;

use redb::ReadableTable;
use support_core::search::{self, SearchHit, SearchQuery};
use support_core::{Message, Result, Ticket};

use crate::{MESSAGES, TICKETS, backend, from_json};

pub(crate) fn search(db: &redb::Database, q: &SearchQuery) -> Result<Vec<SearchHit>> {
    if q.terms.is_empty() {
        return Ok(Vec::new());
    }
    let tx = db.begin_read().map_err(backend)?;
    let mut tickets: BTreeMap<i64, (Ticket, Vec<Message>)> = BTreeMap::new();
    for row in tx
        .open_table(TICKETS)
        .map_err(backend)?
        .iter()
        .map_err(backend)?
    {
        let (k, v) = row.map_err(backend)?;
        tickets.insert(k.value(), (from_json(v.value())?, Vec::new()));
    }
    for row in tx
        .open_table(MESSAGES)
        .map_err(backend)?
        .iter()
        .map_err(backend)?
    {
        let (k, v) = row.map_err(backend)?;
        if let Some((_, messages)) = tickets.get_mut(&k.value().0) {
            messages.push(from_json(v.value())?);
        }
    }
    Ok(search::reference(
        q,
        tickets.values().map(|(t, m)| (t, m.as_slice())),
    ))
}
