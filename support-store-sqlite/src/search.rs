//! Full-text search on the FTS5 tables of `migrations/20261205000100_search_scope.sql`: the
//! query built from the terms (each quoted, the last a prefix) and the scope's token finds the
//! newest matches; their text is ranked and the page's snippets cut with the reference
//! semantics ([`support_core::search::score`], [`Snippet::around`]).

use std::collections::HashMap;

use sqlx::Row;
use support_core::search::{
    RANKED_MATCHES, SearchFilter, SearchHit, SearchQuery, SearchScope, SearchTerms, Snippet,
    compare, score, ticket_score,
};
use support_core::{MessageId, Result, Ticket, TicketId};

use crate::error::{bad_data, from_sqlx};
use crate::row::{self, TICKET_COLUMNS};
use crate::store::SqliteStore;

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

/// The FTS5 query of a search: the words under a column filter (so that no word matches a
/// scope token), for an employee the scope token too, and the archive's (`live`, `arch`) when
/// the filter names one (see
/// `migrations/20261205000100_search_scope.sql`).
fn scoped(columns: &str, words: &str, scope: SearchScope, filter: &SearchFilter) -> String {
    let mut query = match scope {
        SearchScope::Everything => format!("{columns} : ({words})"),
        SearchScope::Employee(e) => format!("{columns} : ({words}) AND scope : \"e{}\"", e.get()),
    };
    match filter.archived {
        None => {}
        Some(true) => query.push_str(" AND scope : \"arch\""),
        Some(false) => query.push_str(" AND scope : \"live\""),
    }
    query
}

impl SqliteStore {
    pub(crate) async fn search_text(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        if q.terms.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let words = fts5_query(&q.terms);
        let ticket_match = scoped("{subject description}", &words, q.scope, &q.filter);
        let message_match = scoped("content", &words, q.scope, &q.filter);
        // Only the newest RANKED_MATCHES matches of each kind are ranked: read from the index
        // newest first (FTS5 walks its doclists in rowid order and stops at the LIMIT). The
        // scope is part of the match, so nothing is joined before the cut; each candidate is
        // then read by its id for its text, which is ranked here with the reference score
        // (bm25 would count every match of each term in the whole table first) and cut into
        // the page's snippets.
        // One snapshot for the candidates and the tickets.
        let mut tx = self.reader().begin().await.map_err(from_sqlx)?;
        let rows = sqlx::query(&format!(
            "SELECT t.id AS ticket_id, NULL AS message_id, 0 AS is_internal, \
                    t.subject AS text, t.description AS more FROM ( \
                 SELECT rowid AS id FROM ticket_text WHERE ticket_text MATCH ?1 \
                 ORDER BY rowid DESC LIMIT {RANKED_MATCHES}) c \
             CROSS JOIN tickets t ON t.id = c.id \
             UNION ALL \
             SELECT m.ticket_id, m.id, m.is_internal, m.content, NULL FROM ( \
                 SELECT rowid AS id FROM message_text WHERE message_text MATCH ?2 \
                 ORDER BY rowid DESC LIMIT {RANKED_MATCHES}) c \
             CROSS JOIN messages m ON m.id = c.id"
        ))
        .bind(&ticket_match)
        .bind(&message_match)
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            let ticket = TicketId(r.try_get("ticket_id").map_err(from_sqlx)?);
            let message: Option<i64> = r.try_get("message_id").map_err(from_sqlx)?;
            let internal: bool = r.try_get("is_internal").map_err(from_sqlx)?;
            let text: &str = r.try_get("text").map_err(from_sqlx)?;
            let more: Option<&str> = r.try_get("more").map_err(from_sqlx)?;
            // A match the index found counts even if the reference words read it otherwise.
            let score = match more {
                Some(description) => ticket_score(&q.terms, text, description),
                None => score(&q.terms, &[(text, 1.0)]),
            }
            .unwrap_or(0.0);
            found.push((score, ticket, message.map(MessageId), internal, text, more));
        }
        found.sort_by(|a, b| compare((a.0, a.1, a.2), (b.0, b.1, b.2)));
        let page: Vec<_> = found
            .into_iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .collect();
        if page.is_empty() {
            return Ok(Vec::new());
        }
        let ticket_ids = id_list(page.iter().map(|h| h.1.get()));
        let mut tickets: HashMap<TicketId, Ticket> = HashMap::new();
        let ticket_rows = sqlx::query(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({ticket_ids})"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        for r in &ticket_rows {
            let t = row::ticket(r)?;
            tickets.insert(t.id, t);
        }
        tx.commit().await.map_err(from_sqlx)?;

        page.into_iter()
            .map(|(_, t, m, internal, text, more)| {
                let ticket = tickets
                    .get(&t)
                    .cloned()
                    .ok_or_else(|| bad_data("search hit", t))?;
                let snippet = match more {
                    Some(description) => Snippet::of_ticket(text, description, &q.terms),
                    None => Snippet::around(text, &q.terms),
                };
                Ok(SearchHit {
                    ticket,
                    message_id: m,
                    is_internal: internal,
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

    #[test]
    fn scope_and_archive_tokens_stay_outside_the_column_filter() {
        let t = SearchTerms::parse("vpn").unwrap();
        let words = fts5_query(&t);
        let any = SearchFilter::default();
        assert_eq!(
            scoped("content", &words, SearchScope::Everything, &any),
            r#"content : ("vpn"*)"#
        );
        assert_eq!(
            scoped(
                "content",
                &words,
                SearchScope::Employee(support_core::UserId(42)),
                &any.clone().with_archived(Some(false))
            ),
            r#"content : ("vpn"*) AND scope : "e42" AND scope : "live""#
        );
        assert_eq!(
            scoped(
                "content",
                &words,
                SearchScope::Everything,
                &any.with_archived(Some(true))
            ),
            r#"content : ("vpn"*) AND scope : "arch""#
        );
    }
}
