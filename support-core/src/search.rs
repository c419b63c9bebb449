//! Full-text search over tickets (subject and description) and messages: the query a store
//! answers, the hits it answers with, and the reference semantics every store reproduces.
//!
//! # Words
//!
//! Text is read as **words**: maximal runs of Unicode letters and digits
//! ([`char::is_alphanumeric`]), compared after [`str::to_lowercase`]; everything else
//! (spaces, punctuation, symbols, FTS operators) only separates words. A query's words are its
//! [`SearchTerms`]: a document matches when it holds every term as a word, the **last** term
//! also as the start of a word (`prin` finds `printer`, so results follow the typing). The
//! stores build their own index query from the terms, quoting each one, so no query text is
//! ever read as index syntax: `"`, `AND`, `NEAR(`, `*`, `-`, `^` are separators like any other
//! punctuation, and a query with no word at all matches nothing.
//!
//! # Documents and visibility
//!
//! A ticket's subject and description are one document (a hit with no `message_id`); each
//! message is its own (a hit with its id). [`SearchScope::Employee`] sees only that employee's
//! tickets and never an internal note; [`SearchScope::Everything`] is for staff. A message's
//! hit says whether that message is an internal note ([`SearchHit::is_internal`], the
//! message's own flag), so a staff client can mark it; an employee's hits never are.
//!
//! # Ranking and pages
//!
//! Hits come best first: each store ranks with a relevance function (PostgreSQL's `ts_rank`;
//! SQLite, memory and redb the reference [`score`] here), the subject counting more than the
//! description and a message, among the newest [`RANKED_MATCHES`] matches of each kind of
//! document in scope (older ones are left out of that query). Equal ranks go by ticket id descending, the ticket's own hit
//! before its messages, messages by id. Pages are positions in that order ([`SearchCursor`]):
//! while nothing is written, following the cursors visits every hit exactly once.
//!
//! # Snippets
//!
//! A hit's [`Snippet`] is plain text (a window of the matching field, `…` where it is cut)
//! with the matched words as [`Snippet::highlights`]: `[start, end)` offsets in **UTF-16 code
//! units**, the unit of JavaScript strings, so a client slices `text.slice(start, end)` and
//! builds the highlight as an element holding text, never parsing markup. Stores that let the
//! database cut the snippet have it mark matches with [`MARK_START`] and [`MARK_END`] and turn
//! that into a snippet with [`Snippet::from_marked`]: the two are control characters, which
//! validation refuses in every stored text (see [`crate::validate`]), so stored text cannot
//! contain a marker, and any stray one is dropped rather than read.

use std::cmp::Ordering;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::id::{MessageId, TicketId, UserId};
use crate::message::Message;
use crate::ticket::Ticket;

/// The longest query text accepted, in characters after trimming.
pub const MAX_QUERY_CHARS: usize = 200;

/// At most this many terms are used; words after them are ignored.
pub const MAX_TERMS: usize = 10;

/// How many words a snippet holds at most.
pub const SNIPPET_WORDS: usize = 16;

/// The character a database puts before a matched word in a snippet (U+0002).
pub const MARK_START: char = '\u{2}';

/// The character a database puts after a matched word in a snippet (U+0003).
pub const MARK_END: char = '\u{3}';

/// The ellipsis where a snippet is cut.
pub const ELLIPSIS: &str = "…";

/// Each kind of document (tickets, messages) ranks at most this many of its matches in scope,
/// the newest ones (highest ids): a word found in half of a million messages then costs about
/// what a rare word costs, and hits are the best among the recent matches. At 20 hits a page
/// that is 25 pages of each kind; a search that needs older matches than that takes another
/// word (or, for closed tickets gone to the archive, [`SearchFilter::archived`]).
pub const RANKED_MATCHES: usize = 500;

/// The weight of the subject against the description and a message (1).
pub const SUBJECT_WEIGHT: f64 = 3.0;

/// The words of a query: lowercased, in order, without repeats, at most [`MAX_TERMS`]. The last
/// one matches as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    terms: Vec<String>,
}

impl SearchTerms {
    /// Reads a query text. After trimming it must hold 1 to [`MAX_QUERY_CHARS`] characters,
    /// else a validation error on `q`. A text with no word is valid and matches nothing.
    pub fn parse(raw: &str) -> Result<Self> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(Error::invalid("q", "The q field is required."));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::invalid(
                "q",
                format!("The q field must not be greater than {MAX_QUERY_CHARS} characters."),
            ));
        }
        let mut terms: Vec<String> = Vec::new();
        for (_, word) in words(text) {
            let folded = word.to_lowercase();
            if !terms.contains(&folded) {
                terms.push(folded);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        Ok(SearchTerms { terms })
    }

    /// The terms, lowercased; each is one word (letters and digits only).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// True when the query holds no word: it matches nothing.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// True if a word (already lowercased) matches term `i`: equals it or, for the last term,
    /// starts with it. One word may match several terms (`secret` matches `secret secre`).
    fn matches_term(&self, i: usize, folded: &str) -> bool {
        let term = self.terms[i].as_str();
        if i + 1 == self.terms.len() {
            folded.starts_with(term)
        } else {
            folded == term
        }
    }

    /// True if `word` (as it is in the text) matches a term.
    pub fn matches_word(&self, word: &str) -> bool {
        let folded = word.to_lowercase();
        (0..self.terms.len()).any(|i| self.matches_term(i, &folded))
    }
}

/// The words of a text with their byte offsets: maximal runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while rest.peek().is_some_and(|(_, c)| !c.is_alphanumeric()) {
            rest.next();
        }
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = rest.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        Some((start, &text[start..end]))
    })
}

/// The reference relevance of a document made of `fields` (text, weight): `None` unless every
/// term occurs (see [`SearchTerms`]); else a score that grows with each term's weighted count,
/// saturating, and shrinks with the document's length (BM25's shape without the corpus
/// statistics).
pub fn score(terms: &SearchTerms, fields: &[(&str, f64)]) -> Option<f64> {
    if terms.is_empty() {
        return None;
    }
    let mut counts = vec![0.0_f64; terms.terms.len()];
    let mut length = 0.0_f64;
    for (text, weight) in fields {
        for (_, word) in words(text) {
            length += 1.0;
            let folded = word.to_lowercase();
            for (i, count) in counts.iter_mut().enumerate() {
                if terms.matches_term(i, &folded) {
                    *count += weight;
                }
            }
        }
    }
    if counts.contains(&0.0) {
        return None;
    }
    let norm = 1.2 * (0.25 + 0.75 * length / 20.0);
    Some(counts.iter().map(|c| c * 2.2 / (c + norm)).sum())
}

/// The reference relevance of a ticket's own document: its subject weighing
/// [`SUBJECT_WEIGHT`], its description 1.
pub fn ticket_score(terms: &SearchTerms, subject: &str, description: &str) -> Option<f64> {
    score(terms, &[(subject, SUBJECT_WEIGHT), (description, 1.0)])
}

/// Whose documents a search may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    /// Every ticket and every message, internal notes included: staff.
    Everything,
    /// Only this employee's tickets and their public messages, never an internal note.
    Employee(UserId),
}

impl SearchScope {
    /// True if a ticket of `owner` is in scope.
    pub fn sees_ticket(self, owner: UserId) -> bool {
        match self {
            SearchScope::Everything => true,
            SearchScope::Employee(e) => e == owner,
        }
    }

    /// True if internal notes are in scope.
    pub fn sees_internal(self) -> bool {
        matches!(self, SearchScope::Everything)
    }
}

/// Conditions on the tickets a search looks at, beyond the scope. Every field is optional
/// (`None`: no condition); build it with `SearchFilter::default()` and its `with_` methods, so
/// that a condition added later changes no caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchFilter {
    /// Only archived tickets (`Some(true)`), only live ones (`Some(false)`), or both (`None`):
    /// see [`crate::archive`]. The service's searches leave archived tickets out unless asked.
    pub archived: Option<bool>,
}

impl SearchFilter {
    /// The reference semantics: true if the ticket passes the filter.
    pub fn matches(&self, ticket: &Ticket) -> bool {
        self.archived
            .is_none_or(|a| a == ticket.archived_at.is_some())
    }

    /// The filter with [`archived`](Self::archived) set.
    pub fn with_archived(mut self, archived: Option<bool>) -> Self {
        self.archived = archived;
        self
    }
}

/// A position in a search's hits: how many came before. Its text form is opaque to clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchCursor(pub u32);

impl SearchCursor {
    /// The deepest position a cursor may name: deeper pages are not offered.
    pub const MAX: u32 = 1000;

    /// The text form, for `next_cursor`.
    pub fn encode(self) -> String {
        format!("s{}", self.0)
    }

    /// Parses [`SearchCursor::encode`]'s output; anything else is a validation error on
    /// `cursor`.
    pub fn decode(s: &str) -> Result<Self> {
        s.strip_prefix('s')
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n <= Self::MAX && !s[1..].starts_with('+'))
            .map(SearchCursor)
            .ok_or_else(|| Error::invalid("cursor", "The cursor is invalid."))
    }
}

/// One page of a search, as a store answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The words looked for; never empty when a store is called.
    pub terms: SearchTerms,
    /// Whose tickets and which messages.
    pub scope: SearchScope,
    /// Conditions on the tickets.
    pub filter: SearchFilter,
    /// Skip this many hits of the ranked list.
    pub offset: u32,
    /// At most this many hits.
    pub limit: u32,
}

/// Plain text with the matched words marked by range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snippet {
    /// A window of the matching text, `…` where it is cut; plain text, never markup.
    #[serde(rename = "snippet")]
    pub text: String,
    /// The matched words: `[start, end)` offsets into `snippet` in UTF-16 code units
    /// (JavaScript string indexes), in order, not overlapping.
    pub highlights: Vec<[u32; 2]>,
}

impl Snippet {
    /// A snippet from text a database marked with [`MARK_START`] … [`MARK_END`]. A marker
    /// out of place (an end with no start, a start inside a highlight) is dropped.
    pub fn from_marked(marked: &str) -> Self {
        let mut text = String::with_capacity(marked.len());
        let mut highlights = Vec::new();
        let mut at = 0_u32;
        let mut open: Option<u32> = None;
        for c in marked.chars() {
            match c {
                MARK_START => {
                    open.get_or_insert(at);
                }
                MARK_END => {
                    if let Some(start) = open.take().filter(|s| *s < at) {
                        highlights.push([start, at]);
                    }
                }
                c if crate::validate::is_refused_character(c) => {}
                c => {
                    text.push(c);
                    at += c.len_utf16() as u32;
                }
            }
        }
        Snippet { text, highlights }
    }

    /// The reference snippet of `text` for `terms`: up to [`SNIPPET_WORDS`] words starting a
    /// few words before the first match, every matched word highlighted.
    pub fn around(text: &str, terms: &SearchTerms) -> Self {
        let all: Vec<(usize, &str)> = words(text).collect();
        let first = all
            .iter()
            .position(|(_, w)| terms.matches_word(w))
            .unwrap_or(0);
        let from = first.saturating_sub(3);
        let to = (from + SNIPPET_WORDS).min(all.len());
        let Some(window) = all.get(from..to).filter(|w| !w.is_empty()) else {
            return Snippet::default();
        };
        let start = if from == 0 { 0 } else { window[0].0 };
        let end = if to == all.len() {
            text.len()
        } else {
            let (s, w) = window[window.len() - 1];
            s + w.len()
        };
        let mut marked = String::new();
        if start > 0 {
            marked.push_str(ELLIPSIS);
        }
        let mut copied = start;
        for (s, w) in window {
            if terms.matches_word(w) {
                marked.push_str(&text[copied..*s]);
                marked.push(MARK_START);
                marked.push_str(w);
                marked.push(MARK_END);
                copied = s + w.len();
            }
        }
        marked.push_str(&text[copied..end]);
        if end < text.len() {
            marked.push_str(ELLIPSIS);
        }
        Snippet::from_marked(marked.trim())
    }

    /// The reference snippet of a ticket's own hit: around the match in the field that matches
    /// best (the subject on a tie), or in both as one text when the terms are spread over them.
    pub fn of_ticket(subject: &str, description: &str, terms: &SearchTerms) -> Self {
        let subject_score = score(terms, &[(subject, 1.0)]).unwrap_or(0.0);
        let description_score = score(terms, &[(description, 1.0)]).unwrap_or(0.0);
        if subject_score >= description_score && subject_score > 0.0 {
            Snippet::around(subject, terms)
        } else if description_score > 0.0 {
            Snippet::around(description, terms)
        } else {
            Snippet::around(&format!("{subject}\n{description}"), terms)
        }
    }
}

/// One hit: a ticket's own text (`message_id` null) or one of its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The ticket, as the caller may see it.
    pub ticket: Ticket,
    /// The message that matched; `None` when the subject or description did.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub message_id: Option<MessageId>,
    /// True when the message that matched is an internal note (as the message's own
    /// `is_internal`); false for a ticket's own hit, and always false in an employee's search,
    /// which never finds a note.
    pub is_internal: bool,
    /// Where it matched.
    #[serde(flatten)]
    pub snippet: Snippet,
}

/// The order of hits: `score` descending, then ticket id descending, the ticket's own hit
/// before its messages, messages by id. For stores that rank in memory.
pub fn compare(
    a: (f64, TicketId, Option<MessageId>),
    b: (f64, TicketId, Option<MessageId>),
) -> Ordering {
    b.0.partial_cmp(&a.0)
        .unwrap_or(Ordering::Equal)
        .then(b.1.cmp(&a.1))
        .then(a.2.cmp(&b.2))
}

/// The reference search over whole tickets with all their messages, for stores that keep no
/// index (the memory store, the example redb store): scores every visible document, sorts
/// with [`compare`] and cuts the page.
pub fn reference<'a>(
    query: &SearchQuery,
    tickets: impl IntoIterator<Item = (&'a Ticket, &'a [Message])>,
) -> Vec<SearchHit> {
    let terms = &query.terms;
    let mut own: Vec<(f64, &Ticket, Option<&Message>)> = Vec::new();
    let mut found: Vec<(f64, &Ticket, Option<&Message>)> = Vec::new();
    for (ticket, messages) in tickets {
        if !query.scope.sees_ticket(ticket.employee_id) || !query.filter.matches(ticket) {
            continue;
        }
        if let Some(s) = ticket_score(terms, &ticket.subject, &ticket.description) {
            own.push((s, ticket, None));
        }
        for m in messages {
            if m.is_internal && !query.scope.sees_internal() {
                continue;
            }
            if let Some(s) = score(terms, &[(m.content.as_str(), 1.0)]) {
                found.push((s, ticket, Some(m)));
            }
        }
    }
    // The newest matches of each kind only.
    own.sort_by_key(|d| std::cmp::Reverse(d.1.id));
    own.truncate(RANKED_MATCHES);
    found.sort_by_key(|d| std::cmp::Reverse(d.2.map(|m| m.id)));
    found.truncate(RANKED_MATCHES);
    found.append(&mut own);
    found.sort_by(|a, b| {
        compare(
            (a.0, a.1.id, a.2.map(|m| m.id)),
            (b.0, b.1.id, b.2.map(|m| m.id)),
        )
    });
    found
        .into_iter()
        .skip(query.offset as usize)
        .take(query.limit as usize)
        .map(|(_, ticket, message)| {
            let snippet = match message {
                Some(m) => Snippet::around(&m.content, terms),
                None => Snippet::of_ticket(&ticket.subject, &ticket.description, terms),
            };
            SearchHit {
                ticket: ticket.clone(),
                message_id: message.map(|m| m.id),
                is_internal: message.is_some_and(|m| m.is_internal),
                snippet,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> SearchTerms {
        SearchTerms::parse(q).unwrap()
    }

    #[test]
    fn queries_are_words_lowercased_without_syntax() {
        assert_eq!(
            terms("VPN  \"drops\" AND NEAR(x*").terms(),
            ["vpn", "drops", "and", "near", "x"]
        );
        assert_eq!(terms("Ünïcödé 東京").terms(), ["ünïcödé", "東京"]);
        assert!(terms("\"* - ^ ()").is_empty());
        assert_eq!(terms("a a A").terms(), ["a"]);
    }

    #[test]
    fn an_empty_or_long_query_is_refused_on_q() {
        for bad in ["", "   ", &"x".repeat(MAX_QUERY_CHARS + 1)] {
            let Err(Error::Invalid(e)) = SearchTerms::parse(bad) else {
                panic!("{bad:?} accepted");
            };
            assert!(e.get("q").is_some(), "{e:?}");
        }
    }

    #[test]
    fn the_last_term_matches_as_a_prefix() {
        let t = terms("printer ja");
        assert!(score(&t, &[("The printer has a jam", 1.0)]).is_some());
        assert!(score(&t, &[("The printers have a jam", 1.0)]).is_none());
        assert!(score(&t, &[("jam", 1.0)]).is_none());
    }

    #[test]
    fn marked_text_becomes_utf16_ranges_and_stray_markers_are_dropped() {
        let s = Snippet::from_marked("😀 \u{2}vpn\u{3} and \u{3}x \u{2}Drop\u{3}");
        assert_eq!(s.text, "😀 vpn and x Drop");
        // The emoji is two UTF-16 units.
        assert_eq!(s.highlights, vec![[3, 6], [13, 17]]);
        let s = Snippet::from_marked("\u{2}\u{3}a\u{2}b");
        assert_eq!(s.text, "ab");
        assert!(s.highlights.is_empty());
    }

    #[test]
    fn reference_snippets_cut_around_the_first_match() {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen \
                    fourteen fifteen sixteen seventeen eighteen printer nineteen twenty";
        let s = Snippet::around(text, &terms("printer"));
        assert!(s.text.starts_with("…sixteen seventeen"), "{}", s.text);
        assert!(s.text.ends_with("twenty"), "{}", s.text);
        let [a, b] = s.highlights[0];
        let units: Vec<u16> = s.text.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&units[a as usize..b as usize]).unwrap(),
            "printer"
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        assert_eq!(
            SearchCursor::decode(&SearchCursor(40).encode()).unwrap(),
            SearchCursor(40)
        );
        for bad in ["", "s", "40", "s-1", "s+1", "s1001", "sx"] {
            assert!(SearchCursor::decode(bad).is_err(), "{bad}");
        }
    }
}
