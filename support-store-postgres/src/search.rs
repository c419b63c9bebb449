//! Full-text search on the generated `search` columns of
//! `migrations/20261204000000_search.sql`: a `tsquery` built from the terms (each quoted, the
//! last a prefix), ranked with `ts_rank`, and the page's snippets cut by `ts_headline` with
//! the core's markers.

use std::collections::HashMap;

use sqlx::Row;
use support_core::search::{
    ELLIPSIS, MARK_END, MARK_START, RANKED_MATCHES, SearchHit, SearchQuery, SearchScope,
    SearchTerms, Snippet,
};
use support_core::{MessageId, Result, Ticket, TicketId};

use crate::error::{bad_data, from_sqlx};
use crate::row::{self, TICKET_COLUMNS};
use crate::store::PgStore;

/// `ts_rank`'s weights for D, C, B, A: the subject (A) three times the description and
/// messages (B), as [`support_core::search::SUBJECT_WEIGHT`].
const WEIGHTS: &str = "'{0.1, 0.2, 0.3333, 1.0}'::float4[]";

/// `ts_headline`'s options: the core's markers, about as many words as the other stores.
const HEADLINE: &str =
    "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MinWords=8, MaxWords=16'";

/// What stands in for `<` while `ts_headline` reads the text: its parser takes `<…>` for an
/// HTML tag and leaves it out of the headline, and the text must come back as written. U+0001
/// is refused by validation in every stored text, so it cannot be there already.
const LT: char = '\u{1}';

/// The `tsquery` text for the terms: each a quoted lexeme (terms are letters and digits only;
/// quotes and backslashes are escaped all the same), all required, the last a prefix.
pub(crate) fn tsquery(terms: &SearchTerms) -> String {
    let n = terms.terms().len();
    terms
        .terms()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let quoted = t.replace('\\', "\\\\").replace('\'', "''");
            let prefix = if i + 1 == n { ":*" } else { "" };
            format!("'{quoted}'{prefix}")
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// A headline as a snippet: `<` restored, `…` where it does not reach the text's ends.
fn snippet(headline: &str, whole: &str) -> Snippet {
    let restored = headline.replace(LT, "<");
    let plain: String = restored
        .chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect();
    let plain = plain.trim();
    let mut marked = restored.trim().to_owned();
    if !whole.trim_start().starts_with(plain) {
        marked.insert_str(0, ELLIPSIS);
    }
    if !whole.trim_end().ends_with(plain) {
        marked.push_str(ELLIPSIS);
    }
    Snippet::from_marked(&marked)
}

/// How many of the newest messages (by id) a staff search looks at first, and then: when the
/// newest [`RANKED_MATCHES`] matches are all among them, the rest of the table is not read (see
/// [`newest`]). A word in one message of a hundred fills the first window, one in 800 the
/// second.
const MESSAGE_WINDOWS: &[i64] = &[50_000, 400_000];

/// The same for tickets (a ticket's subject and description).
const TICKET_WINDOWS: &[i64] = &[20_000];

/// The query of the newest [`RANKED_MATCHES`] rows of `table` (read as `alias`) that match
/// `matching`, newest first, with `columns`.
///
/// With `windows` (growing), the rows among the newest `windows[0]` ids are read first: if at
/// least [`RANKED_MATCHES`] of them match, they are the answer (every row outside is older);
/// otherwise the next window is read, and after the last the whole table. A common word or
/// prefix (tens of thousands of matches) then costs a look at the recent rows instead of a
/// visit to every match in the table, and a rare one a few more looks at the index. Without
/// windows (an employee's search, already narrowed to their tickets) the table is read at once.
fn newest(columns: &str, table: &str, alias: &str, matching: &str, windows: &[i64]) -> String {
    let select = |extra: &str| {
        format!(
            "SELECT {columns} FROM {table} {alias} WHERE {matching}{extra} \
             ORDER BY {alias}.id DESC LIMIT {RANKED_MATCHES}"
        )
    };
    if windows.is_empty() {
        return select("");
    }
    // Each window is read once (materialized), and only when every window before it fell
    // short: a condition without columns is evaluated before the scan under it, and the scan
    // skipped when it is false. `short(n)`: each of the first n windows fell short (an unread
    // window is empty, so each one's condition names every window before it).
    let short = |n: usize| {
        (0..n)
            .map(|i| format!(" AND (SELECT count(*) FROM w{i}) < {RANKED_MATCHES}"))
            .collect::<String>()
    };
    let mut ctes = Vec::new();
    let mut answers = Vec::new();
    for (i, window) in windows.iter().enumerate() {
        let recent = format!(
            " AND {alias}.id > (SELECT coalesce(max(id), 0) FROM {table}) - {window}{}",
            short(i)
        );
        ctes.push(format!("w{i} AS MATERIALIZED ({})", select(&recent)));
        answers.push(format!(
            "SELECT * FROM w{i} WHERE (SELECT count(*) FROM w{i}) = {RANKED_MATCHES}{}",
            short(i)
        ));
    }
    answers.push(format!("({})", select(&short(windows.len()))));
    format!("WITH {} {}", ctes.join(", "), answers.join(" UNION ALL "))
}

impl PgStore {
    pub(crate) async fn search_text(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        if q.terms.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let query = tsquery(&q.terms);
        // The scope as a condition on the ticket id: the employee's tickets come from the
        // index of their list (ticket_activity_by_employee), so the planner can start from
        // them (a few hundred messages) instead of joining every match to its ticket.
        let (own, public) = match q.scope {
            SearchScope::Everything => (String::new(), String::new()),
            SearchScope::Employee(e) => {
                let mine = format!(
                    "IN (SELECT ticket_id FROM ticket_activity WHERE employee_id = {})",
                    e.get()
                );
                (
                    format!(" AND t.id {mine}"),
                    format!(" AND NOT m.is_internal AND m.ticket_id {mine}"),
                )
            }
        };
        // The archive: on a ticket its own column; on a message the set of archived tickets
        // (the partial index tickets_archived), hashed once, not a join per match.
        let (own_archived, public_archived) = match q.filter.archived {
            None => ("", ""),
            Some(true) => (
                " AND t.archived_at IS NOT NULL",
                " AND m.ticket_id IN (SELECT id FROM tickets WHERE archived_at IS NOT NULL)",
            ),
            Some(false) => (
                " AND t.archived_at IS NULL",
                " AND m.ticket_id NOT IN (SELECT id FROM tickets WHERE archived_at IS NOT NULL)",
            ),
        };
        let (own, public) = (
            format!("{own}{own_archived}"),
            format!("{public}{public_archived}"),
        );
        // One snapshot for the ranking, the snippets and the tickets.
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(from_sqlx)?;
        // Only the newest RANKED_MATCHES matches of each kind are ranked (see `newest`).
        let staff = matches!(q.scope, SearchScope::Everything);
        let tickets = newest(
            "t.id, t.search",
            "tickets",
            "t",
            &format!("t.search @@ to_tsquery('simple', $1){own}"),
            if staff { TICKET_WINDOWS } else { &[] },
        );
        let messages = newest(
            "m.id, m.ticket_id, m.is_internal, m.search",
            "messages",
            "m",
            &format!("m.search @@ to_tsquery('simple', $1){public}"),
            if staff { MESSAGE_WINDOWS } else { &[] },
        );
        let ranked = sqlx::query(&format!(
            "SELECT ticket_id, message_id, is_internal FROM ( \
                 SELECT c.id AS ticket_id, NULL::bigint AS message_id, false AS is_internal, \
                        ts_rank({WEIGHTS}, c.search, to_tsquery('simple', $1), 1) AS score \
                 FROM ({tickets}) c \
                 UNION ALL \
                 SELECT c.ticket_id, c.id, c.is_internal, \
                        ts_rank({WEIGHTS}, c.search, to_tsquery('simple', $1), 1) \
                 FROM ({messages}) c \
             ) h ORDER BY score DESC, ticket_id DESC, message_id IS NOT NULL, message_id \
             LIMIT $2 OFFSET $3"
        ))
        .bind(&query)
        .bind(i64::from(q.limit))
        .bind(i64::from(q.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mut page = Vec::with_capacity(ranked.len());
        for r in &ranked {
            let ticket: i64 = r.try_get("ticket_id").map_err(from_sqlx)?;
            let message: Option<i64> = r.try_get("message_id").map_err(from_sqlx)?;
            let internal: bool = r.try_get("is_internal").map_err(from_sqlx)?;
            page.push((TicketId(ticket), message.map(MessageId), internal));
        }
        if page.is_empty() {
            return Ok(Vec::new());
        }
        let ticket_ids: Vec<i64> = page.iter().map(|(t, _, _)| t.get()).collect();
        let own_hits: Vec<i64> = page
            .iter()
            .filter(|(_, m, _)| m.is_none())
            .map(|(t, _, _)| t.get())
            .collect();
        let message_hits: Vec<i64> = page
            .iter()
            .filter_map(|(_, m, _)| m.map(MessageId::get))
            .collect();

        let mut snippets: HashMap<(i64, bool), Snippet> = HashMap::new();
        for (doc, table, ids, is_message) in [
            (
                "subject || E'\\n' || description",
                "tickets",
                own_hits,
                false,
            ),
            ("content", "messages", message_hits, true),
        ] {
            if ids.is_empty() {
                continue;
            }
            let rows = sqlx::query(&format!(
                "SELECT id, {doc} AS whole, \
                        ts_headline('simple', replace({doc}, '<', chr(1)), to_tsquery('simple', $1), {HEADLINE}) AS headline \
                 FROM {table} WHERE id = ANY ($2)"
            ))
            .bind(&query)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            for r in rows {
                let id: i64 = r.try_get("id").map_err(from_sqlx)?;
                let whole: String = r.try_get("whole").map_err(from_sqlx)?;
                let headline: String = r.try_get("headline").map_err(from_sqlx)?;
                snippets.insert((id, is_message), snippet(&headline, &whole));
            }
        }
        let rows = sqlx::query(&format!(
            "SELECT {TICKET_COLUMNS} FROM ticket_rows WHERE id = ANY ($1)"
        ))
        .bind(&ticket_ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mut tickets: HashMap<TicketId, Ticket> = HashMap::new();
        for r in &rows {
            let t = row::ticket(r)?;
            tickets.insert(t.id, t);
        }
        tx.commit().await.map_err(from_sqlx)?;

        page.into_iter()
            .map(|(t, m, internal)| {
                let ticket = tickets
                    .get(&t)
                    .cloned()
                    .ok_or_else(|| bad_data("search hit", t))?;
                let key = m.map_or((t.get(), false), |m| (m.get(), true));
                Ok(SearchHit {
                    ticket,
                    message_id: m,
                    is_internal: internal,
                    snippet: snippets.remove(&key).unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    #[cfg_attr(
        no_postgres,
        ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
    )]
    async fn windows_find_the_newest_matches_the_whole_table_finds() {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&test_prereqs::postgres_url())
            .await
            .unwrap();
        // 20,000 rows: `every` in each, `half` in every second, `fifth` in every fifth,
        // `rare` in every hundredth, `old` in every third of the oldest 10,000 only.
        conn.execute(
            "CREATE TEMP TABLE docs (id bigint PRIMARY KEY, search tsvector NOT NULL); \
             INSERT INTO docs SELECT i, to_tsvector('simple', concat_ws(' ', 'every', \
                 CASE WHEN i % 2 = 0 THEN 'half' END, CASE WHEN i % 5 = 0 THEN 'fifth' END, \
                 CASE WHEN i % 100 = 0 THEN 'rare' END, \
                 CASE WHEN i <= 10000 AND i % 3 = 0 THEN 'old' END)) \
             FROM generate_series(1, 20000) AS i",
        )
        .await
        .unwrap();
        let matching = "d.search @@ to_tsquery('simple', $1)";
        // `half` fills the first window, `fifth` the second, `rare` and `old` neither.
        for (word, step, count) in [
            ("every", 1, RANKED_MATCHES),
            ("half", 2, RANKED_MATCHES),
            ("fifth", 5, RANKED_MATCHES),
            ("rare", 100, 200),
            ("old", 3, RANKED_MATCHES),
            ("none", 1, 0),
        ] {
            let mut found = Vec::new();
            for windows in [&[][..], &[1000, 4000], &[4000]] {
                let mut ids: Vec<i64> =
                    sqlx::query_scalar(&newest("d.id", "docs", "d", matching, windows))
                        .bind(word)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                ids.sort_unstable_by(|a, b| b.cmp(a));
                found.push(ids);
            }
            let top = if word == "old" { 9999 } else { 20000 };
            let expected: Vec<i64> = (1..=top)
                .rev()
                .filter(|i| i % step == 0)
                .take(count)
                .collect();
            for ids in &found {
                assert_eq!(ids, &expected, "{word}");
            }
        }
    }

    #[test]
    fn terms_become_quoted_lexemes_and_the_last_a_prefix() {
        let t = SearchTerms::parse("VPN & 'x' NEAR(y").unwrap();
        assert_eq!(tsquery(&t), "'vpn' & 'x' & 'near' & 'y':*");
    }

    #[test]
    fn headlines_get_their_less_than_signs_back_and_ellipses_where_cut() {
        let whole = "one <b>two</b> three";
        let s = snippet("\u{1}b>\u{2}two\u{3}\u{1}/b>", whole);
        assert_eq!(s.text, "…<b>two</b>…");
        assert_eq!(s.highlights, vec![[4, 7]]);
        assert_eq!(snippet("one \u{2}two\u{3}", "one two").text, "one two");
    }
}
