//! Full-text search on the FTS5 tables of `migrations/20261204000000_search.sql`: the query
//! built from the terms (each quoted, the last a prefix), ranked with `bm25`, and the page's
//! snippets cut by `snippet()` with the core's markers.

use std::collections::HashMap;

use sqlx::Row;
use support_core::search::{
    ELLIPSIS, MARK_END, MARK_START, RANKED_MATCHES, SUBJECT_WEIGHT, SearchHit, SearchQuery,
    SearchScope, SearchTerms, Snippet,
};
use support_core::{MessageId, Result, Ticket, TicketId};

use crate::error::{bad_data, from_sqlx};
use crate::row::{self, TICKET_COLUMNS};
use crate::store::SqliteStore;

/// How many tokens `snippet()` keeps.
const SNIPPET_TOKENS: u32 = 16;

/// An FTS5 query for the terms: each a quoted string (terms are letters and digits only, so
/// a quote cannot occur inside), all required, the last one a prefix.
pub(crate) fn fts5_query(terms: &SearchTerms) -> String {
    let n = terms.terms().len();
    terms
        .terms()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let star = if i + 1 == n { "*" } else { "" };
            format!("\"{}\"{star}", t.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `a, b, c` for an `IN (…)` of ids: integers, written inline.
fn id_list(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

impl SqliteStore {
    pub(crate) async fn search_text(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        if q.terms.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let matching = fts5_query(&q.terms);
        let (own, public) = match q.scope {
            SearchScope::Everything => (String::new(), String::new()),
            SearchScope::Employee(e) => (
                format!(" AND t.employee_id = {}", e.get()),
                format!(" AND m.is_internal = 0 AND t.employee_id = {}", e.get()),
            ),
        };
        let archived = match q.filter.archived {
            None => "",
            Some(true) => " AND t.archived_at IS NOT NULL",
            Some(false) => " AND t.archived_at IS NULL",
        };
        let (own, public) = (format!("{own}{archived}"), format!("{public}{archived}"));
        let join_ticket = if own.is_empty() {
            ""
        } else {
            " CROSS JOIN tickets t ON t.id = m.ticket_id"
        };
        // Only the newest RANKED_MATCHES matches of each kind are ranked: the lowest rowid
        // among them, read from the index newest first without ranking anything.
        let newest_tickets = format!(
            "SELECT coalesce(min(id), 0) FROM (SELECT t.id FROM ticket_text \
             CROSS JOIN tickets t ON t.id = ticket_text.rowid WHERE ticket_text MATCH ?1{own} \
             ORDER BY ticket_text.rowid DESC LIMIT {RANKED_MATCHES})"
        );
        let newest_messages = format!(
            "SELECT coalesce(min(id), 0) FROM (SELECT m.id FROM message_text \
             CROSS JOIN messages m ON m.id = message_text.rowid{join_ticket} \
             WHERE message_text MATCH ?1{public} ORDER BY message_text.rowid DESC LIMIT {RANKED_MATCHES})"
        );
        // One snapshot for the ranking, the snippets and the tickets.
        let mut tx = self.reader().begin().await.map_err(from_sqlx)?;
        let ranked = sqlx::query(&format!(
            "SELECT ticket_id, message_id FROM ( \
                 SELECT t.id AS ticket_id, NULL AS message_id, \
                        -bm25(ticket_text, {SUBJECT_WEIGHT:.1}, 1.0) AS score \
                 FROM ticket_text CROSS JOIN tickets t ON t.id = ticket_text.rowid \
                 WHERE ticket_text MATCH ?1{own} AND ticket_text.rowid >= ({newest_tickets}) \
                 UNION ALL \
                 SELECT m.ticket_id, m.id, -bm25(message_text) \
                 FROM message_text CROSS JOIN messages m ON m.id = message_text.rowid{join_ticket} \
                 WHERE message_text MATCH ?1{public} AND message_text.rowid >= ({newest_messages}) \
             ) ORDER BY score DESC, ticket_id DESC, message_id IS NOT NULL, message_id \
             LIMIT ?2 OFFSET ?3"
        ))
        .bind(&matching)
        .bind(i64::from(q.limit))
        .bind(i64::from(q.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mut page = Vec::with_capacity(ranked.len());
        for r in &ranked {
            let ticket: i64 = r.try_get("ticket_id").map_err(from_sqlx)?;
            let message: Option<i64> = r.try_get("message_id").map_err(from_sqlx)?;
            page.push((TicketId(ticket), message.map(MessageId)));
        }
        if page.is_empty() {
            return Ok(Vec::new());
        }

        let ticket_ids = id_list(page.iter().map(|(t, _)| t.get()));
        let own_hits = id_list(
            page.iter()
                .filter(|(_, m)| m.is_none())
                .map(|(t, _)| t.get()),
        );
        let message_hits = id_list(page.iter().filter_map(|(_, m)| m.map(MessageId::get)));
        let marks = format!(
            "char({}), char({}), '{ELLIPSIS}', {SNIPPET_TOKENS}",
            MARK_START as u32, MARK_END as u32
        );
        let mut snippets: HashMap<(i64, bool), String> = HashMap::new();
        for (table, column, ids, is_message) in [
            ("ticket_text", -1, own_hits, false),
            ("message_text", 0, message_hits, true),
        ] {
            if ids.is_empty() {
                continue;
            }
            let rows = sqlx::query(&format!(
                "SELECT rowid, snippet({table}, {column}, {marks}) AS snippet FROM {table} \
                 WHERE {table} MATCH ?1 AND rowid IN ({ids})"
            ))
            .bind(&matching)
            .fetch_all(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            for r in rows {
                let id: i64 = r.try_get("rowid").map_err(from_sqlx)?;
                let text: String = r.try_get("snippet").map_err(from_sqlx)?;
                snippets.insert((id, is_message), text);
            }
        }
        let mut tickets: HashMap<TicketId, Ticket> = HashMap::new();
        let rows = sqlx::query(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({ticket_ids})"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        for r in &rows {
            let t = row::ticket(r)?;
            tickets.insert(t.id, t);
        }
        tx.commit().await.map_err(from_sqlx)?;

        page.into_iter()
            .map(|(t, m)| {
                let ticket = tickets
                    .get(&t)
                    .cloned()
                    .ok_or_else(|| bad_data("search hit", t))?;
                let key = m.map_or((t.get(), false), |m| (m.get(), true));
                let snippet = snippets
                    .get(&key)
                    .map(|s| Snippet::from_marked(s))
                    .unwrap_or_default();
                Ok(SearchHit {
                    ticket,
                    message_id: m,
                    snippet,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_become_quoted_strings_and_the_last_a_prefix() {
        let t = SearchTerms::parse("VPN \"AND\" NEAR(x*").unwrap();
        assert_eq!(fts5_query(&t), r#""vpn" AND "and" AND "near" AND "x"*"#);
    }
}
