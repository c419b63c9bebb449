//! A ticket's conversation as a document to keep: plain text, JSON, or a print-friendly HTML
//! page. [`SupportService::transcript`](crate::SupportService::transcript) gathers what the
//! caller may see (an employee's transcript never holds an internal note); the functions here
//! only lay it out, with no I/O.
//!
//! ```
//! use support_core::transcript::Transcript;
//! # fn show(t: &Transcript) {
//! let text = t.to_text();
//! assert!(text.starts_with("Ticket "));
//! let page = t.to_html(); // every user-written string escaped
//! # let _ = page;
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::audit::{AuditEntry, Change};
use crate::id::UserId;
use crate::message::{AuthorType, Message};
use crate::ticket::{Choice, Status, Ticket};
use crate::time::Timestamp;

/// Everything a transcript shows, as the caller may see it.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The ticket.
    pub ticket: Ticket,
    /// Every message the caller may see, oldest first (at most
    /// [`Transcript::MAX_MESSAGES`]).
    pub messages: Vec<Message>,
    /// The ticket's audit entries, oldest first: the event lines between the messages.
    pub activity: Vec<AuditEntry>,
    /// Names of the people the event lines mention (assignees), by id.
    pub names: BTreeMap<UserId, String>,
    /// True for a staff transcript: internal notes are in it, marked as such.
    pub includes_internal: bool,
    /// True if the ticket has more messages than one transcript holds.
    pub truncated: bool,
    /// When it was made.
    pub exported_at: Timestamp,
}

/// One line of a transcript in time order: a message or an event line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A message.
    Message(&'a Message),
    /// Something that happened to the ticket, as a sentence ("Resolved by Sam Support").
    Event {
        /// When.
        at: Timestamp,
        /// What, in words.
        text: String,
    },
}

impl Transcript {
    /// The most messages one transcript holds; a longer conversation is cut at its oldest
    /// this many and says so.
    pub const MAX_MESSAGES: usize = 10_000;

    /// The messages and event lines merged in time order (an event before a message of the
    /// same instant). The entry that opened the ticket is left out: the description stands
    /// for it.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let mut events: Vec<(Timestamp, String)> = Vec::new();
        for e in &self.activity {
            if let Some(text) = self.sentence(e) {
                events.push((e.at, text));
            }
        }
        let mut out = Vec::with_capacity(self.messages.len() + events.len());
        let mut events = events.into_iter().peekable();
        for m in &self.messages {
            while let Some((at, _)) = events.peek() {
                if *at > m.created_at {
                    break;
                }
                if let Some((at, text)) = events.next() {
                    out.push(Entry::Event { at, text });
                }
            }
            out.push(Entry::Message(m));
        }
        out.extend(events.map(|(at, text)| Entry::Event { at, text }));
        out
    }

    /// An audit entry in words, as the thread's event lines say it.
    fn sentence(&self, e: &AuditEntry) -> Option<String> {
        let who = &e.actor_name;
        Some(match &e.change {
            Change::Created { .. } => return None,
            Change::Status { before, after } => {
                let label = label(after.as_str());
                match after {
                    Status::Resolved | Status::Closed => format!("{label} by {who}"),
                    Status::Open if matches!(before, Status::Resolved | Status::Closed) => {
                        format!("Reopened by {who}")
                    }
                    _ => format!("{who} set the status to {label}"),
                }
            }
            Change::Priority { after, .. } => {
                format!("Priority changed to {} by {who}", label(after.as_str()))
            }
            Change::AssignedTo { after: None, .. } => format!("{who} unassigned this ticket"),
            Change::AssignedTo {
                after: Some(to), ..
            } if *to == e.actor_id => {
                format!("{who} took this ticket")
            }
            Change::AssignedTo {
                after: Some(to), ..
            } => {
                let name = self
                    .names
                    .get(to)
                    .map_or_else(|| format!("user {to}"), Clone::clone);
                format!("{who} assigned this to {name}")
            }
        })
    }

    /// The file name a download of this transcript gets: `ticket-TKT-000001.txt`. Only ASCII
    /// letters, digits, `-`, `_` and `.`, so it goes into `Content-Disposition` as it is.
    pub fn file_name(&self, extension: &str) -> String {
        format!("ticket-{}.{extension}", self.ticket.ticket_number)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// Plain text: a header with the ticket's fields, then one block per entry.
    pub fn to_text(&self) -> String {
        let t = &self.ticket;
        let mut out = String::new();
        let _ = writeln!(out, "Ticket {}: {}", t.ticket_number, t.subject);
        let _ = writeln!(
            out,
            "Status: {} | Priority: {} | Category: {}",
            label(t.status.as_str()),
            label(t.priority.as_str()),
            label(t.category.as_str())
        );
        let _ = writeln!(out, "Opened: {}", human(t.created_at));
        let _ = writeln!(out, "Exported: {}", human(self.exported_at));
        if self.truncated {
            let _ = writeln!(
                out,
                "Only the first {} messages are included.",
                Self::MAX_MESSAGES
            );
        }
        let _ = writeln!(out, "\n{}\n", t.description);
        for entry in self.entries() {
            match entry {
                Entry::Event { at, text } => {
                    let _ = writeln!(out, "-- {text} ({}) --\n", human(at));
                }
                Entry::Message(m) => {
                    let note = if m.is_internal {
                        " [internal note]"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        out,
                        "[{}] {} ({}){note}",
                        human(m.created_at),
                        m.author_name,
                        side(m.author_type)
                    );
                    let _ = writeln!(out, "{}", m.content);
                    for a in &m.attachments {
                        let _ = writeln!(out, "  Attachment: {} <{}>", a.name, a.url);
                    }
                    out.push('\n');
                }
            }
        }
        out
    }

    /// JSON: `{ticket, exported_at, includes_internal, truncated, entries: [...]}`, each entry
    /// a `{"type": "message", ...message}` or `{"type": "event", at, text}`.
    pub fn to_json(&self) -> Value {
        let entries: Vec<Value> = self
            .entries()
            .into_iter()
            .map(|e| match e {
                Entry::Message(m) => {
                    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
                    if let Value::Object(o) = &mut v {
                        o.insert("type".into(), "message".into());
                        o.insert("created_at".into(), rfc3339(m.created_at).into());
                    }
                    v
                }
                Entry::Event { at, text } => {
                    json!({"type": "event", "at": rfc3339(at), "text": text})
                }
            })
            .collect();
        json!({
            "ticket": self.ticket,
            "exported_at": rfc3339(self.exported_at),
            "includes_internal": self.includes_internal,
            "truncated": self.truncated,
            "entries": entries,
        })
    }

    /// A standalone, print-friendly HTML page: inline styles, no script, every user-written
    /// string escaped.
    pub fn to_html(&self) -> String {
        let t = &self.ticket;
        let mut out = String::with_capacity(4096 + self.messages.len() * 256);
        out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        let _ = write!(
            out,
            "<title>Ticket {} — {}</title>",
            text(t.ticket_number.as_str()),
            text(&t.subject)
        );
        out.push_str(STYLE);
        out.push_str("</head><body><header>");
        let _ = write!(
            out,
            "<h1>{} <span class=\"number\">{}</span></h1>",
            text(&t.subject),
            text(t.ticket_number.as_str())
        );
        let _ = write!(
            out,
            "<p class=\"meta\">Status {} · Priority {} · Category {} · Opened \
             <time datetime=\"{}\">{}</time> · Exported <time datetime=\"{}\">{}</time></p>",
            label(t.status.as_str()),
            label(t.priority.as_str()),
            label(t.category.as_str()),
            rfc3339(t.created_at),
            human(t.created_at),
            rfc3339(self.exported_at),
            human(self.exported_at),
        );
        if self.truncated {
            let _ = write!(
                out,
                "<p class=\"meta\">Only the first {} messages are included.</p>",
                Self::MAX_MESSAGES
            );
        }
        let _ = write!(
            out,
            "<p class=\"description\">{}</p></header><main>",
            text(&t.description)
        );
        for entry in self.entries() {
            match entry {
                Entry::Event { at, text: line } => {
                    let _ = write!(
                        out,
                        "<p class=\"event\">{} · <time datetime=\"{}\">{}</time></p>",
                        text(&line),
                        rfc3339(at),
                        human(at)
                    );
                }
                Entry::Message(m) => {
                    let class = match (m.is_internal, m.author_type) {
                        (true, _) => "message note",
                        (false, AuthorType::Support) => "message support",
                        (false, AuthorType::Employee) => "message employee",
                    };
                    let _ = write!(
                        out,
                        "<article class=\"{class}\"><p class=\"who\"><b>{}</b> {}{} · \
                         <time datetime=\"{}\">{}</time></p><p class=\"content\">{}</p>",
                        text(&m.author_name),
                        side(m.author_type),
                        if m.is_internal {
                            " · internal note"
                        } else {
                            ""
                        },
                        rfc3339(m.created_at),
                        human(m.created_at),
                        text(&m.content)
                    );
                    for a in &m.attachments {
                        let _ = write!(
                            out,
                            "<p class=\"file\">Attachment: <a href=\"{}\">{}</a></p>",
                            html_escape::encode_double_quoted_attribute(&a.url),
                            text(&a.name)
                        );
                    }
                    out.push_str("</article>");
                }
            }
        }
        out.push_str("</main></body></html>\n");
        out
    }
}

const STYLE: &str = "<style>\
body{font:14px/1.5 system-ui,sans-serif;color:#1f2328;max-width:48rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.4rem;margin:0}.number{color:#59636e;font-weight:normal}.meta{color:#59636e;margin:.25rem 0}\
.description{white-space:pre-wrap;border-left:3px solid #d1d9e0;padding-left:.75rem}\
article{border:1px solid #d1d9e0;border-radius:6px;padding:.5rem .75rem;margin:.75rem 0;break-inside:avoid}\
article.support{background:#f6f8fa}article.note{background:#fff8c5;border-color:#d4a72c}\
.who{margin:0;color:#59636e}.content{white-space:pre-wrap;margin:.25rem 0 0}\
.event{text-align:center;color:#59636e;font-size:.9em}.file{margin:.25rem 0 0}\
@media print{body{margin:0;max-width:none}a{color:inherit}}\
</style>";

/// User text for an HTML element's content.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

/// A wire value as a label: `in_progress` → `In progress`.
fn label(value: &str) -> String {
    let spaced = value.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn side(t: AuthorType) -> &'static str {
    match t {
        AuthorType::Employee => "employee",
        AuthorType::Support => "support",
    }
}

/// RFC 3339 in UTC, to the second.
fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time for people: `2026-12-02 09:41 UTC`.
fn human(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{MessageId, TicketId, TicketNumber};
    use crate::message::Attachment;
    use crate::ticket::{Category, Priority};
    use chrono::TimeZone;

    fn at(min: u32) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 2, 9, min, 0)
            .single()
            .unwrap_or_default()
    }

    fn message(id: i64, min: u32, content: &str, internal: bool) -> Message {
        Message {
            id: MessageId(id),
            ticket_id: TicketId(7),
            author_id: UserId(if internal { 2 } else { 1 }),
            author_name: if internal { "Sam Support" } else { "Alice <b>" }.into(),
            author_type: if internal {
                AuthorType::Support
            } else {
                AuthorType::Employee
            },
            content: content.into(),
            is_internal: internal,
            attachments: Vec::new(),
            created_at: at(min),
        }
    }

    fn transcript(messages: Vec<Message>, activity: Vec<AuditEntry>) -> Transcript {
        Transcript {
            ticket: Ticket {
                id: TicketId(7),
                ticket_number: TicketNumber::for_id(TicketId(7)),
                employee_id: UserId(1),
                subject: "VPN <drops>".into(),
                description: "It drops & reconnects".into(),
                category: Category::It,
                priority: Priority::High,
                status: Status::InProgress,
                assigned_to: Some(UserId(2)),
                resolved_at: None,
                created_at: at(0),
                updated_at: at(5),
                first_response_at: None,
                archived_at: None,
                sla: Default::default(),
                version: 3,
            },
            messages,
            activity,
            names: BTreeMap::from([(UserId(3), "Alex Admin".to_owned())]),
            includes_internal: true,
            truncated: false,
            exported_at: at(30),
        }
    }

    fn entry(min: u32, actor: i64, change: Change) -> AuditEntry {
        AuditEntry {
            id: i64::from(min),
            ticket_id: TicketId(7),
            actor_id: UserId(actor),
            actor_name: "Sam Support".into(),
            change,
            at: at(min),
        }
    }

    #[test]
    fn events_fall_between_messages_in_time_order() {
        let t = transcript(
            vec![message(1, 1, "hello", false), message(2, 3, "on it", true)],
            vec![
                entry(
                    0,
                    1,
                    Change::Created {
                        status: Status::Open,
                        priority: Priority::High,
                        category: Category::It,
                    },
                ),
                entry(
                    2,
                    2,
                    Change::AssignedTo {
                        before: None,
                        after: Some(UserId(2)),
                    },
                ),
                entry(
                    4,
                    2,
                    Change::AssignedTo {
                        before: Some(UserId(2)),
                        after: Some(UserId(3)),
                    },
                ),
            ],
        );
        let lines: Vec<String> = t
            .entries()
            .into_iter()
            .map(|e| match e {
                Entry::Message(m) => m.content.clone(),
                Entry::Event { text, .. } => text,
            })
            .collect();
        assert_eq!(
            lines,
            [
                "hello",
                "Sam Support took this ticket",
                "on it",
                "Sam Support assigned this to Alex Admin"
            ]
        );
    }

    #[test]
    fn html_escapes_every_user_string_and_has_no_script() {
        let mut m = message(1, 1, "<script>alert(1)</script>", false);
        m.attachments.push(Attachment {
            id: crate::AttachmentId(1),
            name: "<img src=x onerror=alert(1)>.png".into(),
            url: "/files/1\"onclick=\"x".into(),
            content_type: "image/png".into(),
            size: 3,
        });
        let page = transcript(vec![m], Vec::new()).to_html();
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<drops>"), "{page}");
        assert!(!page.contains("\"onclick"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("Alice &lt;b&gt;"));
    }

    #[test]
    fn text_and_json_carry_authors_times_and_notes() {
        let t = transcript(
            vec![message(1, 1, "hello", false), message(2, 3, "on it", true)],
            Vec::new(),
        );
        let text = t.to_text();
        assert!(text.contains("Ticket TKT-"), "{text}");
        assert!(text.contains("[2026-12-02 09:01 UTC] Alice <b> (employee)\nhello"));
        assert!(text.contains("Sam Support (support) [internal note]\non it"));
        let json = t.to_json();
        assert_eq!(json["entries"][0]["created_at"], "2026-12-02T09:01:00Z");
        assert_eq!(json["entries"][1]["is_internal"], true);
        assert_eq!(json["entries"][1]["type"], "message");
        assert_eq!(
            t.file_name("txt"),
            format!("ticket-{}.txt", t.ticket.ticket_number)
        );
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(label("in_progress"), "In progress");
        assert_eq!(label(""), "");
    }
}
